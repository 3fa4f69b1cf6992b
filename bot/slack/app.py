"""Build the Bolt app from settings, an engine and a WebClient. Nothing is built at import."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any
from weakref import WeakKeyDictionary

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine

from bot.config import Settings
from bot.logs import keep_logs_private
from bot.partnership_scope import serve_many
from bot.services.email.links import Mailing
from bot.services.inbox import Inbox
from bot.services.workspace import Invitations
from bot.slack import listeners
from bot.slack.client import DependableClient, outside_requests
from bot.slack.guard import REPLAY, WORKLOAD, Workload, apology, tell
from bot.slack.inbound import typed_text
from bot.slack.sender import DirectRespond, OutboxRespond, Sender
from bot.slack.sweeper import Sweeper
from bot.slack.tenancy import for_its_partnership
from bot.slack.wiring import Clock, Services, real_time
from jobs.registry import JOBS

log = logging.getLogger("partnerbot")
# Listener threads a process: enough to keep many replies in flight, each waiting about 150 ms
# for Slack. Acknowledgements never wait for them (see bot.slack.guard), and only a few work at
# once (bot.slack.work_slots), so the rest, waiting on Slack, do not contend for the GIL.
LISTENER_THREADS = 32
LISTENER_NICENESS = 10  # listeners' work comes after acknowledging the next request
SLACK_TIMEOUT = 10  # seconds: well past Slack's usual answer, well short of a person's patience


def make_client(settings: Settings, timeout: int = SLACK_TIMEOUT) -> WebClient:
    """The Web API client; it waits out Slack's 429s (after ack, never before), and never
    retries a timeout, which Slack may have acted on."""
    return DependableClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )


def create_app(
    settings: Settings,
    engine: Engine,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
    sweep: bool = False,
    clock: Clock = real_time,
) -> App:
    """The Bolt app; pass `listener_executor` to own (and so wait for) its listener threads,
    `sweep` to take up, in this process, work that a process which died left unfinished
    (every serving process does; tests call `sweeper_of(app).sweep()` themselves), and `clock`
    to set the time the listeners see (tests fix it)."""
    keep_logs_private()  # before Bolt makes its loggers, in Socket Mode too
    # Installed through OAuth, a deployment serves a partnership per workspace: then no work
    # reaches the database without naming its partnership (bot.partnership_scope).
    serve_many(settings.oauth)
    work_pool = listener_executor or ThreadPoolExecutor(
        LISTENER_THREADS, initializer=_behind_acknowledgements
    )
    client = client or make_client(settings)
    sender = Sender(engine, outside_requests(settings, engine, client))
    invitations = (
        Invitations(settings.slack_state_secret or "", settings.link_base)
        if settings.oauth
        else None
    )
    services = Services.on(
        engine, settings.zone, sender, JOBS, clock, Mailing.of(settings), invitations
    )
    oauth = _oauth(settings, engine, client, services)
    app = App(
        client=client,
        # Listeners are acknowledged in the request thread and run in `work_pool` (see
        # bot.slack.guard): an acknowledgement never waits for a thread.
        process_before_response=True,
        listener_executor=work_pool,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        logger=log,
        # OAuth mode: Bolt authorizes each request with its workspace's stored installation.
        **oauth,
    )
    _SERVICES[app] = services

    workload = Workload(work_pool, Inbox(engine))

    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["services"] = services
        context[WORKLOAD] = workload
        next()

    def dependable_slack(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> None:
        """Slack's failures all SlackApiError; replies through the outbox (bot.slack.sender),
        by DM for a click that has no message to reply to."""
        context["client"] = DependableClient.like(context.client)
        if context.response_url:
            context["respond"] = OutboxRespond(context.response_url, services.sender)
        elif context.user_id and body.get("type") == "block_actions":
            context["respond"] = DirectRespond(context.user_id, services.sender)
        next()

    refusal = oauth.get("user_facing_authorize_error_message", "")
    app.use(for_its_partnership(engine, settings.oauth, refusal))
    app.use(provide_services)
    app.use(dependable_slack)
    app.use(as_typed)
    app.error(answer_unguarded_failure)
    listeners.register(app)
    _SWEEPERS[app] = sweeper = Sweeper(app, workload, services.sender)
    if sweep:
        sweeper.start()
    return app


def _oauth(
    settings: Settings, engine: Engine, client: WebClient, services: Services
) -> dict[str, Any]:
    """In OAuth mode, Bolt's flow (bot.slack.oauth), imported only then: slack_sdk's stores
    bring SQLAlchemy's asyncio support, which nothing else needs."""
    if not settings.oauth:
        return {}
    from bot.slack.oauth import StoredBot, not_installed, oauth_flow

    assert settings.slack_client_id
    return {
        "oauth_flow": oauth_flow(settings, engine, client, services),
        "authorize": StoredBot(engine, settings.slack_client_id),
        "user_facing_authorize_error_message": not_installed(settings),
    }


_SWEEPERS: WeakKeyDictionary[App, Sweeper] = WeakKeyDictionary()
_SERVICES: WeakKeyDictionary[App, Services] = WeakKeyDictionary()


def services_of(app: App) -> Services:
    """The services the app's listeners are given (the web process's /email/ pages use them)."""
    return _SERVICES[app]


def sweeper_of(app: App) -> Sweeper:
    """The app's sweeper (bot.slack.sweeper), started or not."""
    return _SWEEPERS[app]


def stop(app: App) -> None:
    """The app's own threads stopped, once what they hold is stored: the sweeper, and the
    inbox's writer (a test's app, before its database goes)."""
    sweeper = _SWEEPERS[app]
    sweeper.stop()
    sweeper.workload.inbox.close()


def as_typed(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
    """A slash command's text as the person typed it, for every listener after (Bolt's
    `command` is this same dict). Only commands: form inputs arrive unescaped; and a request
    taken up again from the inbox was stored decoded."""
    if REPLAY not in context and "command" in body and isinstance(body.get("text"), str):
        body["text"] = typed_text(body["text"])
    next()


def _behind_acknowledgements() -> None:
    """A listener thread yields the CPU to the threads acknowledging requests: on Linux a
    thread has its own niceness. (Elsewhere this changes nothing.)"""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LISTENER_NICENESS)


def answer_unguarded_failure(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: Respond | None,
    client: WebClient,
    context: BoltContext,
) -> BoltResponse | None:
    """A failure outside the listeners (which are guarded): log it, tell the person."""
    text = apology(error, body, context)
    acked = response is None
    if not acked and "command" in body:  # a command not acknowledged yet: answer in the ack
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": text}),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )
    tell(text, body, respond, client, context)
    # Not acknowledged yet: a plain 200 closes a form or settles a click instead of an error.
    return None if acked else BoltResponse(status=200, body="")
