"""The outbox: Slack is called after the commit, each item sent once, and a send Slack did not
confirm is told to the person, never repeated blindly."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.db import make_engine, session_scope
from bot.fakeslack import FakeSlack
from bot.models import OutboxItem, PartnerUpdate, utcnow
from bot.scoping import ours
from bot.services import outbox
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.types import Booking, Part
from bot.services.outbox import Notice, no_notices
from bot.services.rights import REMOVAL, Rights
from bot.slack.app import sweeper_of
from bot.slack.blocks.common import Message
from bot.slack.pacing import RATE_LIMITED_ROUNDS, Pacer
from bot.slack.sender import Sender
from tests.conftest import AMINA, COORDINATOR, MEMBER, OTHER, SLACK_TIMEOUT, Bot
from tests.helpers import (
    LONDON,
    MONDAY,
    abandoned,
    buttons,
    coming,
    command_body,
    form_values,
    job_context,
    limited_slack,
    shown,
    status_of,
)

CHANNEL = "#partnership-updates"


def _items(engine: Engine, kind: str) -> list[OutboxItem]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxItem).where(OutboxItem.kind == kind)).all())


def _posted(bot: Bot, text: str) -> dict:
    bot.ask("join HRS", user_id=MEMBER)
    return bot.ask(text, command="/update")


def _dm_to(bot: Bot, user_id: str, words: str) -> dict:
    found = bot.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == user_id and words in shown(c.args)
    )
    return found[-1].args


def test_a_post_is_written_with_its_update_and_settled_with_slacks_ts(bot: Bot) -> None:
    _posted(bot, "Evening ESOL starts in January")
    (item,) = _items(bot.engine, "post")
    with Session(bot.engine) as session:
        (row,) = session.exec(select(PartnerUpdate)).all()
    assert (item.status, item.row_id, item.ts) == ("sent", row.id, row.ts)
    assert item.message == ""  # blanked once sent: no second copy of the text is kept


def test_a_redraw_slack_does_not_confirm_is_told_and_never_repeated(bot: Bot) -> None:
    answer = _posted(bot, "Drop-in on Fridays")
    edit = next(b for b in buttons(answer) if b["action_id"] == "update_edit")
    bot.slack.block_action(MEMBER, "update_edit", edit["value"])
    view = bot.fake.wait_for("views.open")[0].args["view"]
    bot.fake.stall_next("chat.update", SLACK_TIMEOUT + 0.3)
    bot.slack.view_submission(MEMBER, view, form_values("Drop-in on Fridays and Saturdays"))
    told = _dm_to(bot, MEMBER, "Your change is saved")
    assert "didn't confirm" in shown(told)
    sweeper_of(bot.app).sweep()
    time.sleep(0.5)
    assert len(bot.fake.calls_to("chat.update")) == 1
    (item,) = _items(bot.engine, "redraw")
    assert item.status == outbox.UNSURE
    with Session(bot.engine) as session:  # the change itself stands
        assert "Saturdays" in session.exec(select(PartnerUpdate.text)).one()


def test_a_delete_slack_does_not_confirm_is_told_and_never_repeated(bot: Bot) -> None:
    answer = _posted(bot, "Closing early on Friday")
    delete = next(b for b in buttons(answer) if b["action_id"] == "update_delete")
    bot.fake.stall_next("chat.delete", SLACK_TIMEOUT + 0.3)
    bot.slack.block_action(MEMBER, "update_delete", delete["value"])
    told = shown(_dm_to(bot, MEMBER, "removed from the partnership's records"))
    assert "didn't confirm" in told and "Check the channel" in told
    sweeper_of(bot.app).sweep()
    time.sleep(0.5)
    assert len(bot.fake.calls_to("chat.delete")) == 1
    with Session(bot.engine) as session:
        assert session.exec(select(PartnerUpdate)).all() == []


def test_a_dm_slack_does_not_confirm_is_reported_and_never_repeated(
    sender: Sender, fake_slack: FakeSlack
) -> None:
    fake_slack.stall_next("chat.postMessage", SLACK_TIMEOUT + 0.3)
    sent = sender.dm(OTHER, Message(text="A visitor is coming on Thursday"))
    assert sent.status == outbox.UNSURE and not sent.ok
    sender.sweep()
    time.sleep(0.5)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_send_a_crash_interrupted_is_told_once_and_never_resent(bot: Bot) -> None:
    _posted(bot, "Drop-in closed on Friday for training")
    with Session(bot.engine) as session:
        row = session.exec(select(PartnerUpdate)).one()
    with session_scope(bot.engine) as session:  # the process died while Slack posted it
        message = {"text": row.text, "blocks": []}
        item_id = outbox.write(session, "post", CHANNEL, message, row=("update", row.id or 0))
        session.connection().execute(
            update(OutboxItem)
            .where(col(OutboxItem.id) == item_id)
            .values(status="sending", updated_at=utcnow() - timedelta(minutes=5))
        )
    posts = len(bot.fake.calls_to("chat.postMessage"))
    for _ in range(2):
        sweeper_of(bot.app).sweep()
    told = _dm_to(bot, MEMBER, "didn't confirm")
    assert [b["text"]["text"] for b in buttons(told)] == ["Post it again"]
    time.sleep(0.3)
    calls = bot.fake.calls_to("chat.postMessage")
    assert len(calls) == posts + 1  # the one DM telling the author; no second post
    assert all(c.args["channel"] == MEMBER for c in calls[posts:])


def test_what_a_dead_process_wrote_and_never_sent_is_sent_once(bot: Bot) -> None:
    bot.ask("join HRS", user_id=COORDINATOR)
    with session_scope(bot.engine) as session:
        item_id = outbox.write(session, "dm", OTHER, {"text": "Your visit is confirmed"})
        session.connection().execute(
            update(OutboxItem)
            .where(col(OutboxItem.id) == item_id)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    for _ in range(2):
        sweeper_of(bot.app).sweep()
    sent = [c for c in bot.fake.calls_to("chat.postMessage") if "confirmed" in shown(c.args)]
    assert len(sent) == 1


def _age(engine: Engine, kind: str) -> None:
    """As if written by a process that died a few minutes ago, before it sent them."""
    with session_scope(engine) as session:
        session.connection().execute(
            update(OutboxItem)
            .where(col(OutboxItem.kind) == kind, ours(OutboxItem))
            .values(created_at=utcnow() - timedelta(minutes=5))
        )


def test_a_bookings_notices_are_written_with_it_so_a_crash_before_sending_loses_none(
    bot: Bot,
) -> None:
    bot.ask("join NCL", user_id=MEMBER)
    service, now = Hotdesk(bot.engine, LONDON), MONDAY

    def told(booking: Booking) -> list[Notice]:
        return [Notice("dm", AMINA, {"text": f"{booking.visitor_name} is coming"}, "host")]

    booked = service.book(MEMBER, "HRS", coming("tue"), Part.AM, now, notices=told)
    # The process dies here, after the commit and before sending: the notice is in the outbox.
    assert [(n.about, n.target) for n in booked.notices] == [("host", AMINA)]
    (item,) = _items(bot.engine, "dm")
    assert item.status == "pending" and bot.fake.calls_to("chat.postMessage") == []
    again = service.book(MEMBER, "HRS", coming("tue"), Part.AM, now, notices=told)
    assert again.already and again.notices == ()  # the work done again writes no second notice
    _age(bot.engine, "dm")
    for _ in range(2):
        sweeper_of(bot.app).sweep()
    assert [c.args["channel"] for c in bot.fake.calls_to("chat.postMessage")] == [AMINA]


def test_an_erasures_post_removals_are_written_with_it_so_a_crash_leaves_none_showing(
    bot: Bot,
) -> None:
    _posted(bot, "Our drop-in moves to Tuesdays")
    with Session(bot.engine) as session:
        posted = session.exec(select(PartnerUpdate)).one()
    now = datetime.now(LONDON)
    done = Rights(bot.engine, LONDON).forget(MEMBER, MEMBER, True, now, notices=no_notices)
    # The process dies here: the post's removal is in the outbox, with the erasure.
    assert [n.about for n in done.notices] == [REMOVAL]
    _age(bot.engine, "delete")
    for _ in range(2):
        sweeper_of(bot.app).sweep()
    (deleted,) = bot.fake.calls_to("chat.delete")
    assert deleted.args["ts"] == posted.ts


def test_two_processes_sending_the_same_items_send_each_once(
    loaded_engine: Engine, database_url: str, sender: Sender, fake_slack: FakeSlack
) -> None:
    with session_scope(loaded_engine) as session:
        ids = [outbox.write(session, "dm", OTHER, {"text": f"note {n}"}) for n in range(20)]
    results: list[list[outbox.Sent]] = []
    start = threading.Barrier(2)

    def process() -> None:
        engine = make_engine(database_url, pool_size=2)
        start.wait()
        results.append(Sender(engine, sender.client)(ids))

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_slack.calls_to("chat.postMessage")) == 20
    # Each item is sent by one of the two; the other saw it taken (sent, or still sending).
    assert all(first.ok or second.ok for first, second in zip(*results, strict=True))


def test_a_reply_slack_does_not_confirm_is_recorded_and_never_repeated(bot: Bot) -> None:
    bot.ask("join HRS", user_id=MEMBER)
    bot.fake.stall_next("response_url", SLACK_TIMEOUT + 0.3)
    replies = len(bot.fake.calls_to("response_url"))
    assert bot.slack.command("/update", "search housing", user_id=MEMBER).status == 200
    deadline = time.monotonic() + 5
    while not [i for i in _items(bot.engine, "respond") if i.status == outbox.UNSURE]:
        assert time.monotonic() < deadline, "the reply was never settled"
        time.sleep(0.1)
    sweeper_of(bot.app).sweep()
    time.sleep(0.5)
    assert len(bot.fake.calls_to("response_url")) == replies + 1


def test_work_done_again_after_a_crash_does_not_reply_twice(bot: Bot) -> None:
    """The dead process replied (its reply is the request's first send); the replay's first
    send is that one, already sent: the person is not answered twice."""
    bot.ask("join HRS", user_id=MEMBER)
    body = command_body(bot, "search housing")
    inbox_id = abandoned(bot.engine, body)
    with session_scope(bot.engine) as session:
        session.add(OutboxItem(kind="respond", target="", inbox_id=inbox_id, seq=1, status="sent"))
    replies = len(bot.fake.calls_to("response_url"))
    assert [c.id for c in sweeper_of(bot.app).sweep()] == [inbox_id]
    settled = time.monotonic() + 5
    while status_of(bot.engine, inbox_id).status == "working":
        assert time.monotonic() < settled
        time.sleep(0.05)
    assert len(bot.fake.calls_to("response_url")) == replies


PEOPLE = [f"U0PERSON{n:02d}" for n in range(12)]


def _questions(engine: Engine, people: list[str] = PEOPLE) -> tuple[outbox.Written, ...]:
    """A DM to each of `people`, written as a job writes its notices."""
    with session_scope(engine) as session:
        questions = [Notice("dm", person, {"text": "How was it?"}) for person in people]
        return outbox.write_notices(session, questions)


def test_paced_notices_refused_for_going_too_fast_slow_down_and_go_again_once(
    engine: Engine,
) -> None:
    """Paced faster than the workspace takes: Slack's 429s reach the pacer (the client's own
    waits taken away), and each refused DM goes back to pending and again after the slowdown."""
    written = _questions(engine)
    with limited_slack(PEOPLE, per_second=6, latency=0.05) as fake:
        pacer = Pacer(per_second=12)  # twice what the fake takes: refused even on a slow machine
        client = job_context(engine, fake).client  # it waits out 429s itself, as the clock's does
        assert client is not None
        sent = Sender(engine, client).paced(written, pacer, senders=3)
        posts = fake.calls_to("chat.postMessage")
    assert [outcome.status for _, outcome in sent] == ["sent"] * len(PEOPLE)
    assert sorted(str(c.args["channel"]) for c in posts if c.ok) == PEOPLE  # each once
    refused = [c for c in posts if not c.ok]
    assert refused and {c.status for c in refused} == {429}
    assert pacer.slowdowns == len(refused)
    assert {item.status for item in _items(engine, "dm")} == {"sent"}


def test_a_notice_slack_keeps_refusing_is_left_pending_for_the_sweep_not_failed(
    loaded_engine: Engine, sender: Sender, fake_slack: FakeSlack
) -> None:
    """Slack did not post it (a 429 says so), so it is not failed: it waits in the outbox, and
    the sweep sends it, once."""
    written = _questions(loaded_engine, [OTHER])
    fake_slack.fail_next("chat.postMessage", status=429, count=RATE_LIMITED_ROUNDS, retry_after=0)
    ((_, outcome),) = sender.paced(written, Pacer(gap=0.01))  # each pass a moment after the last
    assert outcome.status == outbox.PENDING
    assert [i.status for i in _items(loaded_engine, "dm")] == [outbox.PENDING]
    _age(loaded_engine, "dm")
    sender.sweep()
    sender.sweep()
    refusals = [429] * RATE_LIMITED_ROUNDS
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [*refusals, 200]
    assert [i.status for i in _items(loaded_engine, "dm")] == ["sent"]


def test_two_processes_pacing_the_same_notices_send_each_once(
    engine: Engine, database_url: str
) -> None:
    written = _questions(engine)
    results: list[list[tuple[outbox.Written, outbox.Sent]]] = []
    start = threading.Barrier(2)
    with limited_slack(PEOPLE, latency=0.05) as fake:
        client = job_context(engine, fake).client
        assert client is not None

        def process() -> None:
            own = make_engine(database_url, pool_size=4)
            start.wait()
            results.append(Sender(own, client).paced(written))
            own.dispose()

        threads = [threading.Thread(target=process) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        posts = fake.calls_to("chat.postMessage")
    assert sorted(str(c.args["channel"]) for c in posts if c.ok) == PEOPLE  # each once
    first, second = ([outcome for _, outcome in result] for result in results)
    assert all(one.ok or other.ok for one, other in zip(first, second, strict=True))
    assert {item.status for item in _items(engine, "dm")} == {"sent"}
