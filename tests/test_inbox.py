"""The inbox: work Slack was told is accepted is done once, even when the process doing it died.

A process that died is played here by rows left as it would leave them (in progress, their lease
run out, perhaps with what the work saved); the sweeper of a running app takes them up. The
process-level proof (gunicorn killed with SIGKILL) is tests/test_durability.py.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.models import InboxItem, OutboxItem, PartnerUpdate, utcnow
from bot.services.gate import trusted
from bot.services.inbox import LEASE, MAX_ATTEMPTS, Inbox
from bot.slack.app import sweeper_of
from bot.slack.guard import BUSY, RESTARTED
from tests.conftest import MEMBER, Bot
from tests.helpers import abandoned, buttons, command_body, shown, status_of

CHANNEL = "#partnership-updates"


@pytest.fixture
def member(bot: Bot) -> Bot:
    bot.ask("join HRS", user_id=MEMBER)
    return bot


def updates(engine: Engine, text: str) -> list[PartnerUpdate]:
    with Session(engine) as session:
        return list(session.exec(select(PartnerUpdate).where(PartnerUpdate.text == text)).all())


def settle(bot: Bot, inbox_id: int) -> InboxItem:
    """Wait until the row's work is over."""
    bot.fake.wait_for("response_url", lambda _: status_of(bot.engine, inbox_id).status != "working")
    return status_of(bot.engine, inbox_id)


def test_work_a_dead_process_left_is_done_once_by_a_running_one(member: Bot) -> None:
    text = "Our winter coat drive starts Monday"
    inbox_id = abandoned(member.engine, command_body(member, text))
    assert [c.id for c in sweeper_of(member.app).sweep()] == [inbox_id]
    member.fake.wait_for("chat.postMessage", lambda c: text in shown(c.args))
    row = settle(member, inbox_id)
    assert (row.status, row.body) == ("done", "")  # what was typed is not kept
    assert len(updates(member.engine, text)) == 1
    assert sweeper_of(member.app).sweep() == []  # done: nobody takes it up again
    assert len([m for m in member.fake.messages(CHANNEL) if text in shown(m)]) == 1


def test_one_sweep_takes_up_all_the_work_a_dead_process_left_as_far_as_it_can_hold(
    member: Bot,
) -> None:
    """After a deploy under load, everything left is taken up at once, not ten a sweep."""
    texts = [f"Left behind number {n}" for n in range(25)]
    ids = [abandoned(member.engine, command_body(member, text)) for text in texts]
    workload = sweeper_of(member.app).workload
    bound, workload.bound = workload.bound, len(workload.in_hand()) + 22
    try:
        assert sorted(c.id for c in sweeper_of(member.app).sweep()) == ids[:22]
    finally:
        workload.bound = bound
    member.fake.wait_for("chat.postMessage", count=22, timeout=30)
    assert sorted(c.id for c in sweeper_of(member.app).sweep()) == ids[22:]  # the rest, next
    member.fake.wait_for("chat.postMessage", count=25, timeout=30)
    assert all(len(updates(member.engine, text)) == 1 for text in texts)


def test_a_lease_still_running_is_left_to_its_process(member: Bot) -> None:
    inbox_id = Inbox(member.engine).accept("update_command", command_body(member, "Hello"))
    assert sweeper_of(member.app).sweep() == []
    assert status_of(member.engine, inbox_id).lease_until > utcnow() + LEASE / 2


def saved_by_a_dead_process(bot: Bot, text: str, inbox_id: int, post_status: str) -> None:
    """What publishing wrote in one transaction (the update and its post in the outbox), with
    the post left as the dead process left it."""
    with Session(bot.engine) as session:
        update = PartnerUpdate(
            organisation_id=1, author_id=MEMBER, text=trusted(text), inbox_id=inbox_id,
            channel=CHANNEL,
        )  # fmt: skip
        session.add(update)
        session.flush()
        message = json.dumps({"text": text, "blocks": []})
        session.add(
            OutboxItem(
                kind="post", target=CHANNEL, message=message, row_kind="update",
                row_id=update.id, status=post_status, inbox_id=inbox_id, seq=1,
            )
        )  # fmt: skip
        session.commit()


def test_what_the_dead_process_saved_but_never_posted_is_posted_not_saved_again(
    member: Bot,
) -> None:
    text = "Legal advice clinic moves to Thursdays"
    inbox_id = abandoned(member.engine, command_body(member, text))
    saved_by_a_dead_process(member, text, inbox_id, "pending")  # it died before sending
    sweeper_of(member.app).sweep()
    member.fake.wait_for("chat.postMessage", lambda c: text in shown(c.args))
    settle(member, inbox_id)
    (row,) = updates(member.engine, text)
    assert row.ts is not None
    assert len(member.fake.calls_to("chat.postMessage")) == 1


def test_a_post_in_flight_when_the_process_died_is_never_repeated_blindly(member: Bot) -> None:
    text = "Drop-in closed on Friday for training"
    inbox_id = abandoned(member.engine, command_body(member, text))
    saved_by_a_dead_process(member, text, inbox_id, "sending")  # it died while Slack posted it
    seen = len(member.fake.calls_to("response_url"))
    sweeper_of(member.app).sweep()
    told = member.fake.wait_for("response_url", count=seen + 1)[-1].args
    assert "didn't confirm" in shown(told) and not member.fake.calls_to("chat.postMessage")
    again = next(b for b in buttons(told) if b["text"]["text"] == "Post it again")
    member.slack.block_action(MEMBER, again["action_id"], again["value"])
    member.slack.block_action(MEMBER, again["action_id"], again["value"])  # clicked twice
    member.fake.wait_for("chat.postMessage", lambda c: text in shown(c.args))
    time.sleep(0.5)
    assert len(member.fake.calls_to("chat.postMessage")) == 1
    assert len(updates(member.engine, text)) == 1


def test_a_form_that_can_no_longer_open_is_explained(member: Bot) -> None:
    """`/update` alone opens a form, which needs a trigger Slack keeps for three seconds."""
    inbox_id = abandoned(member.engine, command_body(member, "", trigger_id="0.stale.trigger"))
    seen = len(member.fake.calls_to("response_url"))
    sweeper_of(member.app).sweep()
    told = member.fake.wait_for("response_url", count=seen + 1)[-1].args
    assert RESTARTED in shown(told)
    assert settle(member, inbox_id).status == "done"


def test_work_that_stopped_the_process_each_time_is_given_up_and_said(member: Bot) -> None:
    inbox_id = abandoned(member.engine, command_body(member, "Crashes"), attempts=MAX_ATTEMPTS)
    sweeper_of(member.app).sweep()
    (told,) = member.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == MEMBER)
    assert "won't try again" in told.args["text"] and "/update" in told.args["text"]
    row = status_of(member.engine, inbox_id)
    assert (row.status, row.body) == ("failed", "")
    assert updates(member.engine, "Crashes") == []


def test_a_full_process_answers_busy_and_accepts_nothing(member: Bot) -> None:
    workload = sweeper_of(member.app).workload
    bound, workload.bound = workload.bound, 0
    try:
        reply = member.slack.command("/update", "Busy day", user_id=MEMBER)
    finally:
        workload.bound = bound
    assert reply.status == 200 and BUSY in reply.body
    with Session(member.engine) as session:
        assert session.exec(select(func.count()).select_from(InboxItem)).one() == 1  # the join
    assert updates(member.engine, "Busy day") == []


def test_two_processes_sweeping_take_each_request_once(engine: Engine) -> None:
    inbox = Inbox(engine)
    ids = {abandoned(engine, {"n": n}) for n in range(30)}
    taken: list[int] = []
    lock = threading.Lock()

    def sweep() -> None:
        while claimed := Inbox(engine).claim_abandoned(limit=3):
            with lock:
                taken.extend(item.id for item in claimed)

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweepers:
        thread.start()
    for thread in sweepers:
        thread.join()
    assert sorted(taken) == sorted(ids)  # each once, none lost
    assert inbox.claim_abandoned() == []


def _writers() -> int:
    return sum(t.name == "inbox-writer" and t.is_alive() for t in threading.enumerate())


def test_a_closed_inbox_stores_what_waited_and_its_writer_ends(engine: Engine) -> None:
    inbox, before = Inbox(engine), _writers()
    stored = inbox.accept("command", {"command": "/partners", "text": "help"})
    assert _writers() == before + 1
    inbox.close()
    assert _writers() == before
    again = inbox.accept("command", {"command": "/partners", "text": "whoami"})
    assert stored is not None and again is not None and again != stored  # writing again
    inbox.close()
    assert _writers() == before
