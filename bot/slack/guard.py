"""Listeners that never fail as far as Slack can tell.

Every listener is wrapped (`guarded`): in the request thread its request is stored in the inbox
and acknowledged, and the listener then runs in the work pool (a form's listener checks the
input first and answers in the acknowledgement, which the request thread waits for). A failure
is logged with a reference (`apology`) and the person is told briefly and kindly: in the
acknowledgement when it was not given yet, else by reply or DM (`tell`). A refusal is told the
same way, as its rendered reply. Failures outside the listeners reach the app's error handler
(`bot.slack.app`), which answers them alike.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, DisconnectionError

from bot.partnership_scope import current_partnership, in_partnership
from bot.services.inbox import Inbox, working_on
from bot.services.refusal import Refusal
from bot.slack.refusals import render
from bot.slack.work_slots import working

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
        psycopg = sys.modules.get("psycopg")  # loaded by a PostgreSQL engine, else not needed
        return (
            error.connection_invalidated
            or (psycopg is not None and isinstance(error.orig, psycopg.OperationalError))
            or "database is locked" in str(error.orig)
        )
    return isinstance(error, DisconnectionError)


def tell(
    text: str,
    body: dict[str, Any],
    respond: Respond | None,
    client: WebClient,
    context: BoltContext,
    blocks: Sequence[Any] = (),
) -> None:
    """Tell the person what went wrong: by reply (the outbox's, which sends even when the
    database is away), else by a DM made directly, since the failure may be the database."""
    try:
        if respond is not None and context.response_url:
            respond(
                text=text,
                blocks=list(blocks) or None,
                response_type="ephemeral",
                replace_original=False,
            )
        elif context.user_id and body.get("type") in {"view_submission", "block_actions"}:
            client.chat_postMessage(channel=context.user_id, text=text, blocks=list(blocks) or None)
    except SlackApiError:
        log.exception("could not tell the user: %s", text)


CHECKED_FIRST = {"view_submission"}  # a form is checked before it is acknowledged
ACK_DEADLINE = 2.5  # seconds: Slack gives up on an acknowledgement at 3
WORKLOAD = "workload"  # the context key of this process's Workload
REPLAY = "replay"  # the context key of a request the sweeper takes up again (inbox.Claimed)
MAX_IN_HAND = 200  # accepted, unfinished requests a process holds before it answers "busy"
BUSY = "Partnerbot is very busy just now, so it didn't take that on. Please try again in a minute."
RESTARTED = (
    "Partnerbot restarted while your request was waiting, and Slack only lets a form open "
    "within a few seconds of asking. Please ask again."
)
TRIGGER_GONE = {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"}


class Workload:
    """This process's accepted, unfinished requests: each stored in the inbox before it is
    acknowledged, run in the pool, marked done after; bounded, and their leases kept."""

    def __init__(self, pool: Executor, inbox: Inbox, bound: int = MAX_IN_HAND) -> None:
        self.pool, self.inbox, self.bound = pool, inbox, bound
        self._lock = threading.Lock()
        self._in_hand: set[int] = set()

    def full(self) -> bool:
        return self.room() <= 0

    def room(self) -> int:
        """How many more requests this process may hold."""
        return self.bound - len(self._in_hand)

    def accept(self, kind: str, body: dict[str, Any]) -> int | None:
        """Store the request (None: an event already accepted) and hold it."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        item_id = self.inbox.accept(kind, body, event_id)
        if item_id is not None:
            self.hold(item_id)
        return item_id

    def hold(self, item_id: int) -> None:
        with self._lock:
            self._in_hand.add(item_id)

    def finish(self, item_id: int) -> None:
        self.inbox.done(item_id)
        with self._lock:
            self._in_hand.discard(item_id)

    def in_hand(self) -> list[int]:
        with self._lock:
            return list(self._in_hand)


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

    def work(arguments: dict[str, Any], item_id: int, partnership: int) -> None:
        """The listener, as the inbox row `item_id`'s work, for the request's partnership (a
        pool thread does not inherit it); the row is done however it ends."""
        try:
            with in_partnership(partnership), working(), working_on(item_id):
                attempt(arguments)
        finally:
            arguments["context"][WORKLOAD].finish(item_id)

    def in_its_zone(arguments: dict[str, Any]) -> dict[str, Any]:
        """The listener's services in its partnership's time zone (bot.slack.wiring)."""
        services = arguments["context"]["services"].in_its_zone()
        arguments["context"]["services"] = services
        return {**arguments, "services": services} if "services" in arguments else arguments

    def attempt(arguments: dict[str, Any]) -> None:
        ack: Ack = arguments["ack"]
        body, context = arguments["body"], arguments["context"]
        try:  # the zone's read too: the database briefly gone is answered like any failure
            zoned = in_its_zone(arguments)
            listener(**{name: zoned[name] for name in own})
            return
        except LateAnswer as late:
            text = str(late)
        except Refusal as refused:  # not a failure: the person is told why, as a listener would
            if ack.response is None:
                ack()
            today = context["services"].today()
            told = render(refused, today)
            tell(told.text, body, arguments["respond"], arguments["client"], context, told.blocks)
            return
        except SlackApiError as error:
            trigger_gone = context.get(REPLAY) and error.response.get("error") in TRIGGER_GONE
            text = RESTARTED if trigger_gone else apology(error, body, context)
        except Exception as error:
            text = apology(error, body, context)
            if ack.response is None:  # not acknowledged yet: answer in the acknowledgement
                if "command" in body:
                    ack(text=text)
                    return
                ack()
        tell(text, body, arguments["respond"], arguments["client"], context)

    def run(**arguments: Any) -> None:
        context, body = arguments["context"], arguments["body"]
        load: Workload = context[WORKLOAD]
        replay = context.get(REPLAY)
        if replay is not None:  # acknowledged long ago, by a process that died: do the work
            load.hold(replay.id)
            work(arguments, replay.id, replay.partnership_id)
            return
        if "command" in body and load.full():
            arguments["ack"](text=BUSY)  # not accepted: nothing is stored or done
            return
        try:
            item_id = load.accept(run.__name__, body)
        except Exception as error:  # not stored, so not accepted: say so in the acknowledgement
            refuse(apology(error, body, context), arguments)
            return
        if item_id is None:  # an event already accepted: Slack's retry
            arguments["ack"]()
            return
        if body.get("type") not in CHECKED_FIRST:
            arguments["ack"]()
            load.pool.submit(work, arguments, item_id, current_partnership())
            return
        ack = _SignallingAck(arguments["ack"])
        load.pool.submit(work, {**arguments, "ack": ack}, item_id, current_partnership())
        if not ack.given.wait(ACK_DEADLINE):
            log.warning(
                "%s: no acknowledgement in %ss; closing the form", run.__name__, ACK_DEADLINE
            )
            ack.give_up()  # the listener's answer, when it comes, is told instead

    def refuse(text: str, arguments: dict[str, Any]) -> None:
        """Acknowledge a request that was not taken on, telling the person why."""
        if "command" in arguments["body"]:
            arguments["ack"](text=text)
            return
        arguments["ack"]()
        tell(
            text, arguments["body"], arguments["respond"], arguments["client"], arguments["context"]
        )

    run.__name__ = getattr(listener, "__name__", "listener")
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # what Bolt injects
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    return run
