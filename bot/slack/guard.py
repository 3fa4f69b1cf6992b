"""Listeners that never fail as far as Slack can tell.

Bolt runs a listener in a thread after it acks; when the listener then raises, Bolt resets
the acknowledgement it already gave (slack_bolt's thread runner sets `ack.response` back to
None), and a failure within a few milliseconds of `ack()` (the database refusing connections,
say) races the request thread and reaches Slack as 404 "unhandled request": a timeout to the
person. So every listener is wrapped: a failure is logged with a reference, acknowledged if it
was not yet, and the person is told briefly and kindly.
"""

from __future__ import annotations

import inspect
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import psycopg
from slack_bolt import Ack, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, DisconnectionError

log = logging.getLogger("partnerbot")

DATABASE_AWAY = (
    "The partnership's database is unavailable for a moment, so nothing was changed. "
    "Please try again in a moment. (reference {reference})"
)
SLACK_AWAY = (
    "Slack didn't answer as it should just now, so that wasn't done. "
    "Please try again in a minute. (reference {reference})"
)
SORRY = (
    "Sorry, something went wrong on our side and nothing was changed. "
    "Please try again in a minute. (reference {reference})"
)
NEEDED = ("ack", "body", "respond", "client", "context")


def apology(error: Exception, body: dict[str, Any], context: BoltContext) -> str:
    """Log the failure with a reference and say, in a sentence, what the person should do."""
    reference = uuid.uuid4().hex[:8]
    log.error(
        "listener failed reference=%s type=%s user=%s",
        reference,
        body.get("type") or ("command" if "command" in body else "unknown"),
        context.user_id,
        exc_info=error,
    )
    if database_away(error):
        return DATABASE_AWAY.format(reference=reference)
    return (SLACK_AWAY if isinstance(error, SlackApiError) else SORRY).format(reference=reference)


def database_away(error: Exception) -> bool:
    """The database unreachable or busy for now (not a bug): worth trying again shortly."""
    if isinstance(error, DBAPIError):
        return (
            error.connection_invalidated
            or isinstance(error.orig, psycopg.OperationalError)
            or "database is locked" in str(error.orig)
        )
    return isinstance(error, DisconnectionError)


def tell(
    text: str,
    body: dict[str, Any],
    respond: Respond | None,
    client: WebClient,
    context: BoltContext,
) -> None:
    try:
        if respond is not None and context.response_url:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif context.user_id and body.get("type") in {"view_submission", "block_actions"}:
            client.chat_postMessage(channel=context.user_id, text=text)
    except SlackApiError:
        log.exception("could not tell the user: %s", text)


CHECKED_FIRST = {"view_submission"}  # a form is checked before it is acknowledged
ACK_DEADLINE = 2.5  # seconds: Slack gives up on an acknowledgement at 3
WORK_POOL = "work_pool"  # the context key of the Executor that runs listeners


LATE = (
    "Your form waited too long for the bot, so Slack closed it and nothing was saved{why}. "
    "Please open it again."
)


class LateAnswer(Exception):
    """A form's answer (its errors, say) came after Slack stopped waiting for it."""

    def __init__(self, answer: dict[str, Any]) -> None:
        errors = answer.get("errors") or {}
        why = f" ({'; '.join(map(str, errors.values()))})" if errors else ""
        super().__init__(LATE.format(why=why))


class _SignallingAck:
    """The listener's `ack`, which also tells the waiting request thread it has been given;
    once that thread has given up, an answer is raised as LateAnswer to be told instead."""

    def __init__(self, ack: Ack) -> None:
        self.ack, self.given, self.too_late = ack, threading.Event(), False
        self.lock = threading.Lock()

    @property
    def response(self) -> Any:
        return self.ack.response

    def __call__(self, **answer: Any) -> Any:
        with self.lock:
            if self.too_late:
                if answer:
                    raise LateAnswer(answer)
                return None
            try:
                return self.ack(**answer)
            finally:
                self.given.set()

    def give_up(self) -> None:
        """The request thread's deadline: close the form, unless it was answered meanwhile."""
        with self.lock:
            if not self.given.is_set():
                self.too_late = True
                self.ack()


def guarded(listener: Callable[..., Any]) -> Callable[..., None]:
    """The listener, acknowledged at once and run in the work pool, every failure answered.

    The app runs with Bolt's `process_before_response`, so this runs in the request thread:
    it acknowledges and hands the listener to the pool, so an acknowledgement never waits
    behind earlier listeners' work (their Slack calls and queries). The listener's own `ack()`
    then changes nothing. A form's listener checks its input first and answers in the
    acknowledgement, so the request thread waits for that, as Bolt's own runner does.
    """
    own = list(inspect.signature(listener).parameters)
    names = list(dict.fromkeys([*own, *NEEDED]))

    def work(arguments: dict[str, Any]) -> None:
        ack: Ack = arguments["ack"]
        body, context = arguments["body"], arguments["context"]
        try:
            listener(**{name: arguments[name] for name in own})
            return
        except LateAnswer as late:
            text = str(late)
        except Exception as error:
            text = apology(error, body, context)
            if ack.response is None:  # not acknowledged yet: answer in the acknowledgement
                if "command" in body:
                    ack(text=text)
                    return
                ack()
        tell(text, body, arguments["respond"], arguments["client"], context)

    def run(**arguments: Any) -> None:
        pool: Executor = arguments["context"][WORK_POOL]
        if arguments["body"].get("type") not in CHECKED_FIRST:
            arguments["ack"]()
            pool.submit(work, arguments)
            return
        ack = _SignallingAck(arguments["ack"])
        pool.submit(work, {**arguments, "ack": ack})
        if not ack.given.wait(ACK_DEADLINE):
            log.warning(
                "%s: no acknowledgement in %ss; closing the form", run.__name__, ACK_DEADLINE
            )
            ack.give_up()  # the listener's answer, when it comes, is told instead

    run.__name__ = getattr(listener, "__name__", "listener")
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # what Bolt injects
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    return run
