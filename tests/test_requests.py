"""How the app treats requests as Slack sends them: signatures, retries, failures, health."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from bot.db import head_revision
from bot.models import InboxItem, Member
from bot.slack.app import sweeper_of
from bot.slack.guard import ACK_DEADLINE
from bot.slack.work_slots import WORK_SLOTS
from tests.conftest import LISTENER_THREADS, MEMBER, Bot
from tests.helpers import shown


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@contextmanager
def table_missing(engine: Engine, table: str) -> Iterator[None]:
    """Take a table away for a moment: a real database failure, not a mock."""
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))


def test_a_wrong_signature_is_refused_and_changes_nothing(bot: Bot) -> None:
    members = count(bot.engine, Member)
    reply = bot.slack.command("/partners", "join HRS", signing_secret="not-the-secret")
    assert reply.status == 401
    time.sleep(0.3)
    assert count(bot.engine, Member) == members
    assert not bot.fake.calls_to("response_url")


def test_a_request_six_minutes_old_is_refused_and_changes_nothing(bot: Bot) -> None:
    members = count(bot.engine, Member)
    reply = bot.slack.command("/partners", "join HRS", timestamp=int(time.time()) - 6 * 60)
    assert reply.status == 401
    time.sleep(0.3)
    assert count(bot.engine, Member) == members
    assert not bot.fake.calls_to("response_url")


def test_an_event_delivered_twice_is_handled_once(bot: Bot) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0MEMBER", "tab": "home"}
    first = bot.slack.event(event, event_id="Ev0HOME1")
    again = bot.slack.event(event, event_id="Ev0HOME1", retry_num=1)
    assert (first.status, again.status) == (200, 200)
    bot.fake.wait_for("views.publish")
    time.sleep(0.5)
    assert len(bot.fake.calls_to("views.publish")) == 1
    assert count(bot.engine, InboxItem) == 1  # the retry was not accepted again
    bot.slack.event(event, event_id="Ev0HOME2")  # a new event is handled as usual
    bot.fake.wait_for("views.publish", count=2)


def test_the_home_tab_greets_a_member_without_an_organisation(bot: Bot) -> None:
    bot.slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    view = bot.fake.wait_for("views.publish")[0].args
    assert view["user_id"] == MEMBER
    assert "/partners join" in shown(view["view"])


def test_a_failing_command_gets_a_friendly_reply_not_a_timeout(bot: Bot) -> None:
    with table_missing(bot.engine, "member"):
        started = time.monotonic()
        answer = shown(bot.ask("whoami"))
        assert time.monotonic() - started < 3
    assert "Sorry, something went wrong on our side" in answer
    assert "reference" in answer
    assert "none yet" in shown(bot.ask("whoami"))  # and it works again once the table is back


def test_a_form_that_fails_before_ack_is_closed_and_the_user_told(bot: Bot) -> None:
    bot.slack.command("/partners", "org edit HRS", user_id="U0000COORD1")
    opened = bot.fake.wait_for("views.open")[0].args["view"]
    values = {"name": {"value": {"type": "plain_text_input", "value": "Harbour"}}}
    with table_missing(bot.engine, "organisation"):
        reply = bot.slack.view_submission("U0000COORD1", opened, values)
    assert reply.status == 200
    told = bot.fake.wait_for("chat.postMessage")[0].args
    assert told["channel"] == "U0000COORD1"
    assert "Sorry, something went wrong" in told["text"]


def hold_every_listener_thread(bot: Bot, seconds: float) -> None:
    """Occupy the test app's whole listener pool: each thread's reply is stalled at Slack
    (the replies' sender waiting longer than the tests' short Slack timeout, as it would for
    Slack's real ten seconds)."""
    sweeper_of(bot.app).sender.client.timeout = int(seconds) + 5
    seen = len(bot.fake.calls_to("response_url"))
    bot.fake.stall_next("response_url", seconds, count=LISTENER_THREADS)
    for _ in range(LISTENER_THREADS):
        assert bot.slack.command("/partners", "help").status == 200
    bot.fake.wait_for("response_url", count=seen + LISTENER_THREADS)  # each now waits on Slack


def test_an_acknowledgement_never_waits_for_earlier_listeners_work(bot: Bot) -> None:
    """A new command is acknowledged at once, and answered once a thread is free."""
    hold_every_listener_thread(bot, 2.5)
    started = time.monotonic()
    assert bot.slack.command("/partners", "help").status == 200
    assert time.monotonic() - started < 1.5
    bot.fake.wait_for("response_url", count=LISTENER_THREADS + 1, timeout=10)


def test_a_form_checked_after_slack_stopped_waiting_is_answered_by_dm(bot: Bot) -> None:
    """A form waits for its checks, but not past Slack's deadline: then it is closed, and
    what the checks found reaches the person by DM, never silently lost."""
    bot.ask("join HRS")
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/update", "")
    form = bot.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    # Held well past the form's deadline: the first thread's hold starts before the other
    # seven commands are even sent, which on a busy machine can take a second or more.
    hold_every_listener_thread(bot, ACK_DEADLINE + 4)
    values = {"text": {"value": {"type": "plain_text_input", "value": "   "}}}
    reply = bot.slack.view_submission(MEMBER, form, values)
    assert reply.status == 200 and not reply.body  # closed, within Slack's three seconds
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == MEMBER)[0]
    assert "waited too long" in told.args["text"] and "needs some text" in told.args["text"]


def test_slack_rate_limiting_is_waited_out_after_ack(bot: Bot) -> None:
    bot.fake.fail_next("users.info", status=429, retry_after=1)
    assert "joined" in shown(bot.ask("join HRS"))
    statuses = [call.status for call in bot.fake.calls_to("users.info")]
    assert statuses == [429, 200]


def test_healthz_names_the_backend_and_schema_version(bot: Bot) -> None:
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=5) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body == {"database": bot.engine.dialect.name, "schema": head_revision(), "status": "ok"}


def test_work_waiting_for_slack_leaves_its_slot_to_other_work(bot: Bot) -> None:
    """As many listeners as there are work slots, each waiting for Slack: a new request's
    work still runs at once (a thread gives its slot up while Slack answers)."""
    sweeper_of(bot.app).sender.client.timeout = 10
    seen = len(bot.fake.calls_to("response_url"))
    bot.fake.stall_next("response_url", 4.0, count=WORK_SLOTS)
    for _ in range(WORK_SLOTS):
        assert bot.slack.command("/partners", "help").status == 200
    bot.fake.wait_for("response_url", count=seen + WORK_SLOTS)  # each now waits on Slack
    started = time.monotonic()
    assert bot.slack.command("/partners", "help").status == 200
    bot.fake.wait_for("response_url", count=seen + WORK_SLOTS + 1, timeout=10)
    assert time.monotonic() - started < 3.0  # not after the stalled replies
