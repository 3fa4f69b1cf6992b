"""The Web API client: every way Slack can fail arrives as a SlackApiError.

slack_sdk raises SlackApiError for Slack's answers, but a timeout, a refused connection or a
failed file upload comes out as TimeoutError, URLError or SlackRequestError. Code that handles
"Slack could not do it" would miss those and fall through to a generic apology, telling the
person nothing was changed when, say, their booking stands. Here they become SlackApiError with
the error `slack_timeout` (Slack may have done it; we cannot know) or `slack_unreachable` (the
request never reached Slack), so one `except SlackApiError` covers them all.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from ssl import SSLContext
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine

from bot.config import Settings
from bot.services.workspace import bot_token
from bot.slack import transport
from bot.slack.work_slots import waiting_for_slack

TIMEOUT = "slack_timeout"  # Slack may have acted on the request; it did not say
UNREACHABLE = "slack_unreachable"  # the request did not reach Slack
NO_ANSWER = "slack_no_answer"  # the request went, the connection ended before the answer
UNCERTAIN = {TIMEOUT, NO_ANSWER}  # errors after which the action may or may not have happened
TRANSPORT_ERRORS = (TimeoutError, URLError, ConnectionError, http.client.HTTPException)


class DependableClient(WebClient):
    """A WebClient whose failures are all SlackApiError (see the module docstring)."""

    @classmethod
    def like(cls, client: WebClient) -> DependableClient:
        """The same client, dependable: Bolt makes a plain WebClient for each request."""
        team_id = client.default_params.get("team_id")
        return cls(
            token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
            proxy=client.proxy, headers=client.headers, team_id=team_id, logger=client.logger,
            retry_handlers=client.retry_handlers,
        )  # fmt: skip

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            with waiting_for_slack():
                return super().api_call(api_method, **kwargs)
        except TRANSPORT_ERRORS as error:
            raise self._failure(api_method, error) from error

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        """The call on this thread's kept connection to Slack (bot.slack.transport), not a
        new one each time; through a proxy, as slack_sdk makes it."""
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        answer = transport.post(url, req.data, dict(req.header_items()), self.timeout, self.ssl)  # type: ignore[arg-type]  # the SDK's request body is always bytes
        if answer.headers.get_content_type() == "application/gzip":
            return {"status": answer.status, "headers": answer.headers, "body": answer.body}
        text = answer.body.decode(answer.headers.get_content_charset() or "utf-8")
        return {"status": answer.status, "headers": answer.headers, "body": text}

    def _upload_file(
        self,
        *,
        url: str,
        data: bytes,
        logger: logging.Logger,
        timeout: int,
        proxy: str | None,
        ssl: SSLContext | None,
    ) -> Any:
        try:
            with waiting_for_slack():
                result = super()._upload_file(
                    url=url, data=data, logger=logger, timeout=timeout, proxy=proxy, ssl=ssl
                )
        except TRANSPORT_ERRORS as error:
            raise self._failure("file upload", error) from error
        if result.status != 200:  # slack_sdk would raise SlackRequestError
            raise self._failure("file upload", SlackRequestError(f"HTTP {result.status}"))
        return result

    def _failure(self, what: str, error: Exception) -> SlackApiError:
        timed_out = isinstance(error, TimeoutError) or (
            isinstance(error, URLError) and isinstance(error.reason, TimeoutError)
        )
        if isinstance(error, HTTPError):  # the upload URL answered with an error status
            code = f"http_{error.code}"
        elif isinstance(error, transport.AnswerLost):
            code = NO_ANSWER
        else:
            code = TIMEOUT if timed_out else UNREACHABLE
        answer = SlackResponse(
            client=self, http_verb="POST", api_url=f"{self.base_url}{what}", req_args={},
            data={"ok": False, "error": code}, headers={}, status_code=0,
        )  # fmt: skip
        return SlackApiError(f"{what}: {code} ({error.__class__.__name__}: {error})", answer)


# The arguments that name the one person a call is about (a DM's channel, a Home tab's user).
PERSON_ARGUMENTS = ("channel", "user_id", "users", "user")
# The person the calls in hand are about when no argument says (a file upload's several calls).
_regarding: ContextVar[str | None] = ContextVar("regarding", default=None)


@contextmanager
def regarding(person: str) -> Iterator[None]:
    """The Web API calls of the block are about `person` (their workspace's token, if theirs
    is a connected one)."""
    token = _regarding.set(person)
    try:
        yield
    finally:
        _regarding.reset(token)


class InstalledBotClient(DependableClient):
    """OAuth mode's client for work outside a Slack request (the outbox's sender, the jobs;
    within a request Bolt gives each its installation's token): each call carries the bot
    token installed now, read afresh (`bot_token`), so a reinstall's token is used at once
    and an uninstalled workspace's never; a call about a person (a DM) carries the token of
    their own workspace when it is one connected to the partnership (Slack Connect)."""

    def __init__(self, bot_token: Callable[[str | None], str | None], **options: Any) -> None:
        super().__init__(**options)
        self.bot_token = bot_token

    @classmethod
    def installed(
        cls, client: WebClient, bot_token: Callable[[str | None], str | None]
    ) -> InstalledBotClient:
        """`client`'s settings, with the installed token."""
        return cls(
            bot_token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
            proxy=client.proxy, headers=client.headers, logger=client.logger,
            retry_handlers=client.retry_handlers,
        )  # fmt: skip

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        token = self.bot_token(_regarding.get() or _person(kwargs))
        if token:  # as a header, as the SDK sends its own token: the method's data unchanged
            kwargs["headers"] = {
                "Authorization": f"Bearer {token}",
                **(kwargs.get("headers") or {}),
            }
        return super().api_call(api_method, **kwargs)


def _person(call: dict[str, Any]) -> str | None:
    """The person a Web API call is about, if it names one (a user id), else None."""
    for arguments in (call.get("json"), call.get("params"), call.get("data")):
        if not isinstance(arguments, dict):
            continue
        for name in PERSON_ARGUMENTS:
            value = str(arguments.get(name) or "")
            if value[:1] in ("U", "W") and "," not in value:
                return value
    return None


def outside_requests(settings: Settings, engine: Engine, client: WebClient) -> DependableClient:
    """The client for what is sent outside a Slack request (bot.slack.sender, the jobs):
    `client`'s, in OAuth mode with the token installed now (bot.services.workspace)."""
    if not settings.oauth:
        return DependableClient.like(client)
    client_id = settings.slack_client_id or ""
    return InstalledBotClient.installed(client, lambda person: bot_token(engine, client_id, person))
