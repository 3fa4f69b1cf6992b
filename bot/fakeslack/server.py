"""The fake Slack's HTTP side: a threaded server on 127.0.0.1 that hands each request to the
fake, reads arguments in every form slack_sdk sends (GET query strings, form-encoded POSTs
where `blocks` and `view` are JSON strings, multipart forms, JSON bodies), and writes answers.

`serve_in_background` is also how the playground and the tests run their own local servers.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer
from typing import Any

from bot.fakeslack.checks import SlackRefusal

# How often a serving thread looks for shutdown(): serve_forever's default, 0.5 s, makes every
# stop (so every end-to-end test's teardown) wait up to half a second. Between requests the
# thread still sleeps in select(), so this is 20 wake-ups a second, not a busy loop.
POLL_INTERVAL = 0.05
# Arguments that form-encoded calls carry as JSON strings.
JSON_ARGUMENTS = ("blocks", "view", "attachments", "files")


def serve_in_background(server: BaseServer) -> None:
    """Serve until `server.shutdown()`, from a daemon thread, and stop promptly when told."""
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    ).start()


class Server(ThreadingHTTPServer):
    """127.0.0.1 on an ephemeral port; every request, GET or POST, goes to `answer`."""

    daemon_threads = True
    # Connections waiting to be accepted: Slack takes as many as a bot opens. socketserver's
    # default of 5 made the bot's 64 listener threads queue for a connect under load, so that
    # a post and then the note about it could time out before ever reaching the fake.
    request_queue_size = 256

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None], idle: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer, self.idle = answer, idle
        self.connections = 0  # opened by clients, all told
        self._counting = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._counting:
            self.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1: a connection stays open for the client's next call, as Slack's do, until it
    has been idle `server.idle` seconds."""

    server: Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the headers and the body go as two writes: no 40 ms wait

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle)

    def do_GET(self) -> None:
        self.server.answer(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the recorded calls are the log, and test output stays readable."""


def send(
    request: BaseHTTPRequestHandler,
    status: int,
    body: str | bytes,
    headers: dict[str, str],
    content_type: str | None = None,
) -> None:
    """Text (JSON or plain, as it looks) in UTF-8, or bytes of `content_type`."""
    data = body.encode() if isinstance(body, str) else body
    if content_type is None:
        content_type = "application/json" if data.startswith(b"{") else "text/plain"
    request.send_response(status)
    textual = content_type.startswith(("text/", "application/json"))
    request.send_header(
        "Content-Type", f"{content_type}; charset=utf-8" if textual else content_type
    )
    request.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(data)


def read_args(request: BaseHTTPRequestHandler, query: str) -> dict[str, Any]:
    """Arguments from a query string, a form, a multipart form or a JSON body."""
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
    content_type = request.headers.get_content_type()
    if content_type == "application/json":
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise SlackRefusal("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackRefusal("json_not_object")
        args.update(body)
    elif content_type == "multipart/form-data":  # WebClient.api_call(data=...) sends these
        header = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
        message = email.message_from_bytes(header + raw, policy=email.policy.HTTP)
        for part in message.iter_parts():
            args[str(part.get_param("name", header="content-disposition"))] = part.get_content()
    else:
        args.update(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
    for name in JSON_ARGUMENTS:
        if isinstance(args.get(name), str):
            with contextlib.suppress(ValueError):  # left as a string, which the checks refuse
                args[name] = json.loads(args[name])
    return args
