"""Connections to Slack kept open between calls: one a thread and host, reused while fresh.

slack_sdk opens a new connection for every Web API call (urllib's `urlopen`), and so does a
reply through a response URL. Over Slack's HTTPS that is a TCP and TLS handshake before each
call: round trips a person waits for, and the CPU of the handshake, on every reply, post and
DM. Slack keeps connections open (HTTP/1.1), so the bot does too.

A kept connection is reused only while fresh (idle under `IDLE_LIMIT`, which is far inside any
server's keep-alive time) and not closed by Slack meanwhile (a closed socket reads as ready). A
request that fails while it is being sent on a reused connection reached nothing, so it goes
once more on a new one; anything after it was sent (the answer lost, `AnswerLost`, or a
timeout) is raised and never sent again: Slack may have acted on it.
"""

from __future__ import annotations

import http.client
import io
import select
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError
from urllib.parse import urlsplit

IDLE_LIMIT = 4.0  # seconds a connection may sit idle and still be reused


class AnswerLost(ConnectionError):
    """The request went, but the connection ended before Slack's answer came: Slack may have
    acted on it, as after a timeout, so it is not "unreachable" and never sent again."""


_kept = threading.local()  # (scheme, host, port) -> (connection, when it was last used)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes


def post(
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST `body` to `url` on this thread's kept connection to its host; a status that is not
    2xx is raised as urllib's HTTPError, as `urlopen` raises it (slack_sdk reads 429s so)."""
    parts = urlsplit(url)
    key = (parts.scheme, parts.hostname or "", parts.port)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = _fresh(key)
    reused = connection is not None
    if connection is None:
        connection = _open(parts.scheme, key[1], parts.port, timeout, context)
    try:
        try:
            _send(connection, target, body, headers, timeout)
        except (BrokenPipeError, ConnectionResetError):
            if not reused:
                raise
            connection.close()  # closed by Slack as it was sent: nothing reached it
            connection = _open(parts.scheme, key[1], parts.port, timeout, context)
            _send(connection, target, body, headers, timeout)
        try:
            response = connection.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException) as lost:
            raise AnswerLost(f"{type(lost).__name__}: {lost}") from lost
    except BaseException:
        connection.close()  # an answer may still come on it, to a later request
        raise
    if response.will_close:
        connection.close()
    else:
        _keep(key, connection)
    if not 200 <= response.status < 300:
        raise HTTPError(url, response.status, response.reason, response.headers, io.BytesIO(data))
    return Answer(response.status, response.headers, data)


def _send(
    connection: http.client.HTTPConnection,
    target: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
) -> None:
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    connection.request("POST", target, body, dict(headers))


def _open(
    scheme: str, host: str, port: int | None, timeout: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context or ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _fresh(key: tuple[str, str, int | None]) -> http.client.HTTPConnection | None:
    """This thread's connection to the host, if it is fresh and still open."""
    kept: dict[tuple[str, str, int | None], tuple[http.client.HTTPConnection, float]]
    kept = getattr(_kept, "connections", {})
    connection, last_used = kept.pop(key, (None, 0.0))
    if connection is None:
        return None
    if time.monotonic() - last_used > IDLE_LIMIT or _closed(connection):
        connection.close()
        return None
    return connection


def _keep(key: tuple[str, str, int | None], connection: http.client.HTTPConnection) -> None:
    if not hasattr(_kept, "connections"):
        _kept.connections = {}
    _kept.connections[key] = (connection, time.monotonic())


def _closed(connection: http.client.HTTPConnection) -> bool:
    """An idle connection the server has closed reads as ready (its end of file)."""
    if connection.sock is None:
        return True
    try:
        ready, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
