"""Hot desks end to end: signed requests in, the fake Slack out, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.db import make_engine
from bot.fakeslack import FakeSlack
from bot.models import DeskBooking, DeskHold, HotdeskOffer, Member, Organisation, Partnership
from bot.services.directory import Directory, Profile
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.types import Booking, Host, HotdeskProblem, Part, SlotGone
from bot.services.outbox import no_notices
from bot.slack.blocks import hotdesk as hotdesk_blocks
from bot.slack.blocks.common import Message
from bot.slack.listeners.hotdesk import with_problems
from jobs.clock import run_job
from tests.conftest import AMINA, MEMBER, OTHER, Bot
from tests.helpers import (
    DANIEL,
    LONDON,
    MONDAY,
    WEEKDAYS,
    buttons,
    coming,
    hotdesk_members,
    job_context,
    privacy_policy,
    replies_to,
    shown,
    typed,
)


@pytest.fixture
def members(bot: Bot) -> Bot:
    return hotdesk_members(bot)


def bookings(bot: Bot) -> list[DeskBooking]:
    with Session(bot.engine) as session:
        return list(session.exec(select(DeskBooking).order_by(DeskBooking.id)).all())


def dms_to(fake: FakeSlack, user_id: str) -> list[str]:
    return [
        shown(c.args) for c in fake.calls_to("chat.postMessage") if c.args["channel"] == user_id
    ]


def test_booking_confirms_with_protocol_tells_the_key_worker_and_sends_a_calendar_entry(
    members: Bot,
) -> None:
    day = coming("tue")
    answer = shown(members.ask(f"book HRS {typed(day)} am", command="/hotdesk"))
    assert "Booked a desk at *Harbour Refugee Support*" in answer
    assert "14 Quay Street" in answer and "Bring photo ID" in answer and AMINA in answer
    told = members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == AMINA)
    assert "is coming to *Harbour Refugee Support*" in shown(told[0].args)
    assert "Northside Care Leavers Project" in shown(told[0].args)
    members.fake.wait_for("files.completeUploadExternal")
    (calendar,) = members.fake.uploaded_files(MEMBER)
    ics = calendar.content.decode()
    assert calendar.filename.endswith(".ics")
    assert f"DTSTART;TZID=Europe/London:{day:%Y%m%d}T090000" in ics
    assert f"DTEND;TZID=Europe/London:{day:%Y%m%d}T130000" in ics
    assert "14 Quay Street" in ics
    (row,) = bookings(members)
    assert (row.status, row.part, row.day, row.visitor_id) == ("confirmed", "am", day, MEMBER)


def test_the_same_booking_twice_books_once(members: Bot) -> None:
    day = coming("wed")
    first = shown(members.ask(f"book Harbour {typed(day)} day", command="/hotdesk"))
    again = shown(members.ask(f"book Harbour {typed(day)} day", command="/hotdesk"))
    assert "Booked" in first and "already booked this" in again
    assert len(bookings(members)) == 1
    members.fake.wait_for("files.completeUploadExternal")
    assert len(members.fake.uploaded_files(MEMBER)) == 1


def test_a_full_slot_is_refused_with_the_nearest_free_slots_to_click(members: Bot) -> None:
    day = coming("wed")
    assert "Booked" in shown(members.ask(f"book NRH {typed(day)} am", command="/hotdesk"))
    answer = members.ask(f"book NRH {typed(day)} am", user_id=OTHER, command="/hotdesk")
    assert "every desk at" in shown(answer) and "just have booked the last one" in shown(answer)
    offered = buttons(answer)
    assert offered and all(b["action_id"].startswith("hotdesk_book") for b in offered)
    choice = json.loads(offered[0]["value"])
    assert (choice["host"], choice["day"], choice["part"]) == ("NRH", day.isoformat(), "pm")
    (reply,) = replies_to(
        members,
        lambda: members.slack.block_action(OTHER, offered[0]["action_id"], offered[0]["value"]),
    )
    assert "Booked" in shown(reply)
    assert [(b.visitor_id, b.part) for b in bookings(members)] == [(MEMBER, "am"), (OTHER, "pm")]


def test_overlapping_bookings_of_one_person_are_refused(members: Bot) -> None:
    day = coming("tue")
    members.ask(f"book HRS {typed(day)} day", command="/hotdesk")
    answer = shown(members.ask(f"book KYT {typed(day)} pm", command="/hotdesk"))
    assert "already have a booking then" in answer and "Harbour" in answer
    assert len(bookings(members)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("book Nowhere Agency tomorrow", "No organisation matches"),
        ("book HRS 3/3/2020", "has passed"),
        ("book HRS someday", "Say which agency and which day"),
        ("book HRS 31/2", "Say which agency and which day"),
        ("book BHA next tue", "doesn't lend hot desks"),
        ("book NCL next tue", "your own organisation"),
        ("book SPL next mon am", "whole days only"),
        ("book HRS next mon", "lends desks on Tue, Wed, Thu only"),
        ("cancel", "Which booking?"),
        ("cancel D999", "There is no booking D999"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_books_nothing(
    members: Bot, text: str, expected: str
) -> None:
    assert expected in shown(members.ask(text, command="/hotdesk"))
    assert bookings(members) == []


def test_bookings_too_far_ahead_on_closed_days_and_bank_holidays_are_refused(
    members: Bot,
) -> None:
    far = coming("tue", weeks=10)
    assert "up to 60 days ahead" in shown(members.ask(f"book HRS {typed(far)}", command="/hotdesk"))
    with Session(members.engine) as session:
        offer = session.get(HotdeskOffer, _org_id(session, "KYT"))
        closed = coming("thu")
        offer.closures = [closed.isoformat()]
        session.add(offer)
        session.commit()
    answer = shown(members.ask(f"book KYT {typed(closed)}", command="/hotdesk"))
    assert "is closed on" in answer
    assert bookings(members) == []


def test_bank_holidays_close_the_desks_unless_the_host_opens_then(loaded_engine: Engine) -> None:
    _join(loaded_engine, OTHER, "BHA")
    with Session(loaded_engine) as session:
        offer = session.get(HotdeskOffer, _org_id(session, "HRS"))
        offer.weekdays = list(WEEKDAYS)
        session.add(offer)
        session.commit()
    service = Hotdesk(loaded_engine, LONDON)
    christmas, december = date(2026, 12, 25), datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    with pytest.raises(HotdeskProblem, match=r"bank holiday \(Christmas Day\)"):
        service.book(OTHER, "HRS", christmas, Part.DAY, december, notices=no_notices)
    with Session(loaded_engine) as session:
        offer = session.get(HotdeskOffer, _org_id(session, "HRS"))
        offer.closed_on_bank_holidays = False
        session.add(offer)
        session.commit()
    assert (
        service.book(OTHER, "HRS", christmas, Part.DAY, december, notices=no_notices).booking.status
        == "confirmed"
    )


def test_someone_without_an_organisation_is_told_to_join_first(bot: Bot) -> None:
    bot.clock.set(MONDAY)
    answer = shown(bot.ask(f"book HRS {typed(coming('tue'))}", user_id=OTHER, command="/hotdesk"))
    assert "/partners join" in answer


def test_approval_pending_then_approved_once_with_both_told(members: Bot) -> None:
    day = coming("fri")
    answer = shown(members.ask(f"book SPL {typed(day)}", command="/hotdesk"))
    assert "Requested a desk" in answer and "asked to approve" in answer
    request = members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == DANIEL)
    approve = next(b for b in buttons(request[0].args) if b["action_id"] == "hotdesk_approve")
    assert not members.fake.uploaded_files(MEMBER)  # no calendar entry until approved
    replies = replies_to(
        members,
        lambda: [members.slack.block_action(DANIEL, "hotdesk_approve", approve["value"])
                 for _ in range(2)],
        count=2,
    )  # fmt: skip
    texts = " ".join(shown(reply) for reply in replies)
    assert "Approved" in texts and "already *confirmed*" in texts
    told = members.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MEMBER and "approved" in shown(c.args)
    )
    assert len(told) == 1
    members.fake.wait_for("files.completeUploadExternal")
    assert len(members.fake.uploaded_files(MEMBER)) == 1
    assert [b.status for b in bookings(members)] == ["confirmed"]


def test_declining_frees_the_desk_and_tells_the_visitor(members: Bot) -> None:
    day = coming("mon")
    members.ask(f"book SPL {typed(day)}", command="/hotdesk")
    request = members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == DANIEL)
    decline = next(b for b in buttons(request[0].args) if b["action_id"] == "hotdesk_decline")
    (refused,) = replies_to(
        members, lambda: members.slack.block_action(OTHER, "hotdesk_decline", decline["value"])
    )
    assert "Only Safe Passage Legal Advice's key worker" in shown(refused)
    (declined,) = replies_to(
        members, lambda: members.slack.block_action(DANIEL, "hotdesk_decline", decline["value"])
    )
    assert "Declined" in shown(declined)
    members.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MEMBER and "declined" in shown(c.args)
    )
    assert [b.status for b in bookings(members)] == ["declined"]
    again = shown(members.ask(f"book SPL {typed(day)}", user_id=OTHER, command="/hotdesk"))
    assert "Requested a desk" in again


def test_cancelling_frees_the_slot_and_tells_the_other_side(members: Bot) -> None:
    day = coming("thu")
    members.ask(f"book KYT {typed(day)} am", command="/hotdesk")
    ref = f"D{bookings(members)[0].id}"
    assert "Only the visitor" in shown(
        members.ask(f"cancel {ref}", user_id=OTHER, command="/hotdesk")
    )
    mine = members.ask("mine", command="/hotdesk")
    assert ref in shown(mine)
    cancel = next(b for b in buttons(mine) if b["action_id"] == "hotdesk_cancel")
    (cancelled,) = replies_to(
        members, lambda: members.slack.block_action(MEMBER, "hotdesk_cancel", cancel["value"])
    )
    assert "Cancelled" in shown(cancelled) and "U0000EWAN01" in shown(cancelled)
    members.fake.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == "U0000EWAN01" and "cancelled their visit" in shown(c.args),
    )
    assert "already *cancelled*" in shown(members.ask(f"cancel {ref}", command="/hotdesk"))
    with Session(members.engine) as session:
        assert session.exec(select(func.count()).select_from(DeskHold)).one() == 0
    assert "No desk" not in shown(members.ask(f"free {typed(day)}", command="/hotdesk"))


def test_free_shows_a_grid_with_book_buttons(members: Bot) -> None:
    answer = members.ask("free", command="/hotdesk")
    text = shown(answer)
    assert "Free desks over the next five working days" in text and "HRS" in text
    day = coming("tue")
    one_day = members.ask(f"free {typed(day)}", command="/hotdesk")
    offered = [b for b in buttons(one_day) if b["action_id"].startswith("hotdesk_book")]
    assert {json.loads(b["value"])["host"] for b in offered} >= {"HRS", "KYT"}
    assert len({b["action_id"] for b in offered}) == len(offered)  # unique, as Slack requires
    assert "has passed" in shown(members.ask("free 1/1/2020", command="/hotdesk"))


def open_form(bot: Bot, text: str = "", user_id: str = MEMBER) -> dict:
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/hotdesk", text, user_id=user_id)
    return bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]


def test_the_form_shows_the_protocol_once_an_agency_is_chosen_then_books(members: Bot) -> None:
    view = open_form(members)
    assert "Choose an agency to see" in shown(view["blocks"])
    hosts = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert "HRS" in hosts and "BHA" not in hosts
    option = {"text": {"type": "plain_text", "text": "Harbour"}, "value": "HRS"}
    members.slack.block_action(
        MEMBER, "hotdesk_host_picked", block_id="host", view=view,
        extra_action={"type": "static_select", "selected_option": option},
    )  # fmt: skip
    updated = members.fake.wait_for("views.update")[0].response["view"]
    assert "Bring photo ID" in shown(updated["blocks"])
    day = coming("wed")
    values = {
        "host": {"hotdesk_host_picked": {"type": "static_select", "selected_option": option}},
        "day": {"value": {"type": "datepicker", "selected_date": "2020-01-01"}},
        "part": {"value": {"type": "radio_buttons", "selected_option": {"value": "pm"}}},
    }
    refused = members.slack.view_submission(MEMBER, updated, values)
    assert (
        refused.json["response_action"] == "errors"
        and "has passed" in refused.json["errors"]["day"]
    )
    values["day"]["value"]["selected_date"] = day.isoformat()
    (reply,) = replies_to(members, lambda: members.slack.view_submission(MEMBER, updated, values))
    assert "Booked a desk at *Harbour Refugee Support*" in shown(reply)
    assert [(b.day, b.part) for b in bookings(members)] == [(day, "pm")]


def test_a_key_worker_changes_the_offer_and_others_may_not(members: Bot) -> None:
    members.fake.add_user(AMINA, "Amina Yusuf")
    assert "key worker or a coordinator" in shown(members.ask("offer HRS", command="/hotdesk"))
    view = open_form(members, "offer", user_id=AMINA)
    assert view["title"]["text"] == "Desks at HRS"
    values = {
        "desks": {"value": {"type": "number_input", "value": "3"}},
        "weekdays": {"value": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}},
        "flags": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "needs_approval"}]}
        },
        "closures": {"value": {"type": "plain_text_input", "value": "not a date"}},
        "max_days_ahead": {"value": {"type": "number_input", "value": "30"}},
        "address": {"value": {"type": "plain_text_input", "value": "1 New Street"}},
        "protocol": {"value": {"type": "plain_text_input", "value": "Ring the bell"}},
        "key_workers": {"value": {"type": "multi_users_select", "selected_users": [AMINA]}},
    }
    refused = members.slack.view_submission(AMINA, view, values)
    assert "couldn't read" in refused.json["errors"]["closures"]
    values["closures"]["value"]["value"] = "24/12 to 26/12"
    (reply,) = replies_to(members, lambda: members.slack.view_submission(AMINA, view, values))
    assert "Saved the hot-desk offer of *Harbour Refugee Support*: 3 desk(s) on Mon" in shown(reply)
    with Session(members.engine) as session:
        offer = session.get(HotdeskOffer, _org_id(session, "HRS"))
        assert (offer.desks, offer.weekdays, offer.half_days, offer.needs_approval) == (
            3, ["mon"], False, True,
        )  # fmt: skip
        assert len(offer.closures) == 3 and offer.max_days_ahead == 30


def _offer_values(protocol: str) -> dict:
    return {
        "desks": {"value": {"type": "number_input", "value": "3"}},
        "weekdays": {"value": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}},
        "flags": {"value": {"type": "checkboxes", "selected_options": []}},
        "closures": {"value": {"type": "plain_text_input", "value": "24/12 to 26/12"}},
        "max_days_ahead": {"value": {"type": "number_input", "value": "30"}},
        "address": {"value": {"type": "plain_text_input", "value": "1 New Street, G42 8XY"}},
        "protocol": {"value": {"type": "plain_text_input", "value": protocol}},
        "key_workers": {"value": {"type": "multi_users_select", "selected_users": [AMINA]}},
    }


def _protocol(bot: Bot, code: str) -> tuple[str, str, int]:
    with Session(bot.engine) as session:
        row = session.exec(select(Organisation).where(Organisation.code == code)).one()
        offer = session.get(HotdeskOffer, row.id)
        return row.visitor_protocol, row.address, offer.desks


def test_a_visitor_protocol_that_looks_personal_is_held_back_and_saved_only_knowingly(
    members: Bot,
) -> None:
    members.fake.add_user(AMINA, "Amina Yusuf")
    before = _protocol(members, "HRS")
    view = open_form(members, "offer", user_id=AMINA)
    values = _offer_values("Ask for Jo, her mobile is 07700 900123")
    # warn: the form again as typed, the protocol marked, and the box to save it anyway
    again = members.slack.view_submission(AMINA, view, values).json
    assert again["response_action"] == "update"
    form = again["view"]
    ids = [block.get("block_id") for block in form["blocks"]]
    assert "anyway" in ids and json.loads(form["private_metadata"])["code"] == "HRS"
    note = shown(form["blocks"][ids.index("protocol") + 1])
    assert "UK phone number" in note and "07••• •••123" in note and "900123" not in shown(form)
    typed = {b["block_id"]: b["element"] for b in form["blocks"] if b.get("block_id") in values}
    assert typed["protocol"]["initial_value"] == "Ask for Jo, her mobile is 07700 900123"
    assert typed["closures"]["initial_value"] == "24/12 to 26/12"  # as written
    assert typed["address"]["initial_value"] == "1 New Street, G42 8XY"  # public: not held
    assert typed["desks"]["initial_value"] == "3"
    assert typed["key_workers"]["initial_users"] == [AMINA]
    assert _protocol(members, "HRS") == before
    refused = members.slack.view_submission(AMINA, form, values).json
    assert refused["response_action"] == "errors" and list(refused["errors"]) == ["protocol"]
    assert "Tick the box" in refused["errors"]["protocol"]
    assert len(refused["errors"]["protocol"]) <= 150
    assert _protocol(members, "HRS") == before
    box = {"type": "checkboxes", "selected_options": [{"value": "anyway"}]}
    (reply,) = replies_to(
        members,
        lambda: members.slack.view_submission(AMINA, form, {**values, "anyway": {"value": box}}),
    )
    assert "Saved the hot-desk offer" in shown(reply)
    assert _protocol(members, "HRS") == (
        "Ask for Jo, her mobile is 07700 900123", "1 New Street, G42 8XY", 3,
    )  # fmt: skip


def test_where_the_policy_is_block_a_personal_protocol_is_never_saved(members: Bot) -> None:
    members.fake.add_user(AMINA, "Amina Yusuf")
    privacy_policy(members, "block")
    before = _protocol(members, "HRS")
    view = open_form(members, "offer", user_id=AMINA)
    values = _offer_values("Visitors: her DOB 03/04/2008 is on file")
    box = {"type": "checkboxes", "selected_options": [{"value": "anyway"}]}
    for attempt in (values, {**values, "anyway": {"value": box}}):
        refused = members.slack.view_submission(AMINA, view, attempt).json
        assert refused["response_action"] == "errors"
        assert "Date of birth found" in refused["errors"]["protocol"]
        assert "Never saved" in refused["errors"]["protocol"]
    assert _protocol(members, "HRS") == before


def test_typed_agency_names_are_escaped_in_confirmations_and_problems() -> None:
    host = Host(
        code="AB", name="A&B <!channel>", address="", protocol="", key_workers=(), desks=1,
        weekdays=("mon",), half_days=False, needs_approval=False, max_days_ahead=60,
        closures=(), closed_on_bank_holidays=True,
    )  # fmt: skip
    booking = Booking(
        id=7, host=host, visitor_id=MEMBER, visitor_name="Sam", visitor_organisation=None,
        day=date(2026, 11, 23),
        part=Part.DAY, status="confirmed",
    )  # fmt: skip
    confirm = hotdesk_blocks.cancel_button(booking).to_dict()["confirm"]["text"]["text"]
    note = hotdesk_blocks.calendar_note(booking, date(2026, 11, 20))
    problem = with_problems(Message("x"), [f"I couldn't tell <@{OTHER}> about {host.name}."])
    for text in (confirm, note, shown(problem.blocks[0].to_dict())):
        assert "A&amp;B &lt;!channel&gt;" in text and "<!channel>" not in text
    assert f"<@{OTHER}>" in shown(problem.blocks[0].to_dict())


def _org_id(session: Session, code: str) -> int:
    return session.exec(select(Organisation.id).where(Organisation.code == code)).one()


# The evening job ---------------------------------------------------------------------------------


def _join(engine: Engine, user_id: str, code: str) -> None:
    Directory(engine).join(user_id, code, lambda _: Profile(user_id))


def test_the_evening_job_reminds_once_and_releases_undecided_requests(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(DANIEL, "Daniel Okafor")
    fake_slack.add_user("U0000EWAN01", "Ewan")
    _join(loaded_engine, MEMBER, "NCL")
    _join(loaded_engine, OTHER, "BHA")
    service = Hotdesk(loaded_engine, LONDON)
    tuesday = date(2026, 11, 24)
    service.book(MEMBER, "KYT", tuesday, Part.AM, MONDAY, notices=no_notices)
    later = service.book(
        OTHER, "KYT", date(2026, 11, 26), Part.PM, MONDAY, notices=no_notices
    )  # Thursday: not yet
    pending = service.book(
        OTHER, "SPL", date(2026, 11, 27), None, MONDAY, notices=no_notices
    ).booking  # Friday
    jobs = job_context(loaded_engine, fake_slack)
    for _ in range(3):
        summary = run_job("hotdesk-reminders", jobs, datetime(2026, 11, 23, 17, 5))
    assert "already done" in summary
    texts = {c.args["channel"]: shown(c.args) for c in fake_slack.calls_to("chat.postMessage")}
    assert sorted(texts) == sorted([MEMBER, "U0000EWAN01"])  # once each, though run three times
    assert "Reminder: you're at" in texts[MEMBER] and "Visitor protocol" in texts[MEMBER]
    assert "Coming to" in texts["U0000EWAN01"] and MEMBER in texts["U0000EWAN01"]
    fake_slack.reset()
    fake_slack.add_user(OTHER, "Olu Other")
    fake_slack.add_user(DANIEL, "Daniel Okafor")
    fake_slack.add_user("U0000EWAN01", "Ewan")
    run_job("hotdesk-reminders", jobs, datetime(2026, 11, 26, 17, 1))  # Thursday 17:00
    texts = {c.args["channel"]: shown(c.args) for c in fake_slack.calls_to("chat.postMessage")}
    assert "has been released" in texts[OTHER] and "released" in texts[DANIEL]
    with Session(loaded_engine) as session:
        assert session.get(DeskBooking, pending.id).status == "released"
        assert session.get(DeskBooking, later.booking.id).status == "confirmed"


def test_a_dry_run_releases_nothing(loaded_engine: Engine, fake_slack: FakeSlack) -> None:
    _join(loaded_engine, OTHER, "BHA")
    pending = Hotdesk(loaded_engine, LONDON).book(
        OTHER, "SPL", date(2026, 11, 27), None, MONDAY, notices=no_notices
    )
    lines: list[str] = []
    summary = run_job(
        "hotdesk-reminders",
        job_context(loaded_engine, fake_slack, dry_run=True, shown_lines=lines),
        datetime(2026, 11, 26, 17, 1),
    )
    assert "would release 1" in summary and lines
    with Session(loaded_engine) as session:
        assert session.get(DeskBooking, pending.booking.id).status == "pending"
    assert not fake_slack.calls_to("chat.postMessage")


# Concurrency --------------------------------------------------------------------------------------


@pytest.mark.parametrize("desks", [1, 3])
def test_concurrent_requests_for_the_last_desks_book_exactly_that_many(
    loaded_engine: Engine, database_url: str, desks: int
) -> None:
    """30 people at once, each on their own connection: exactly `desks` win, the rest are told."""
    visitors = [f"U0RACE{n:02d}" for n in range(30)]
    with Session(loaded_engine) as session:
        bha = _org_id(session, "BHA")
        for user_id in visitors:
            session.add(Member(slack_user_id=user_id, name=user_id, organisation_id=bha))
        offer = session.get(HotdeskOffer, _org_id(session, "HRS"))
        offer.desks = desks
        session.add(offer)
        session.commit()
    racing = make_engine(database_url, pool_size=30)  # a connection per person
    service = Hotdesk(racing, LONDON)
    start = threading.Barrier(len(visitors))
    day = date(2026, 12, 1)

    def attempt(user_id: str) -> str:
        start.wait()
        try:
            service.book(user_id, "HRS", day, Part.DAY, MONDAY, notices=no_notices)
            return "booked"
        except SlotGone as gone:
            assert "every desk" in str(gone)
            return "gone"

    with ThreadPoolExecutor(len(visitors)) as pool:
        outcomes = list(pool.map(attempt, visitors))
    racing.dispose()
    assert outcomes.count("booked") == desks and outcomes.count("gone") == 30 - desks
    with Session(loaded_engine) as session:
        assert session.exec(select(func.count()).select_from(DeskBooking)).one() == desks
        assert session.exec(select(func.count()).select_from(DeskHold)).one() == desks * 2


def test_service_refuses_a_whole_day_when_one_half_is_full(loaded_engine: Engine) -> None:
    _join(loaded_engine, MEMBER, "NCL")
    _join(loaded_engine, OTHER, "BHA")
    service = Hotdesk(loaded_engine, LONDON)
    wednesday = date(2026, 12, 2)
    service.book(MEMBER, "NRH", wednesday, Part.PM, MONDAY, notices=no_notices)
    with pytest.raises(HotdeskProblem) as refused:
        service.book(OTHER, "NRH", wednesday, Part.DAY, MONDAY, notices=no_notices)
    assert next((s.day, s.part) for s in refused.value.alternatives) == (wednesday, Part.AM)
    with Session(loaded_engine) as session:
        assert session.exec(select(func.count()).select_from(DeskBooking)).one() == 1


def test_slack_failing_after_the_booking_keeps_it_and_says_what_was_not_done(
    members: Bot,
) -> None:
    """The booking is stored before anyone is told; Slack's 500s only cost the notices."""
    members.fake.fail_next("chat.postMessage", 500, count=3)
    members.fake.fail_next("files.completeUploadExternal", 500, count=3)
    answer = shown(members.ask(f"book HRS {typed(coming('thu'))} pm", command="/hotdesk"))
    assert "Booked a desk" in answer
    assert "couldn't reach Harbour Refugee Support's key worker" in answer
    assert "calendar entry" in answer and "the booking stands" in answer
    assert [b.status for b in bookings(members)] == ["confirmed"]


def test_today_is_the_partnerships_own_in_its_time_zone(members: Bot) -> None:
    """At 23:30 in London on a Monday it is Tuesday in Auckland: a partnership whose file says
    it lives there is answered with its own today, as its jobs run by its own clock."""
    members.clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    london = shown(members.ask("free today", command="/hotdesk"))
    lives_in(members.engine, "Pacific/Auckland")
    auckland = shown(members.ask("free today", command="/hotdesk"))
    assert "Mon 23" in london and "Tue 24" not in london
    assert "Tue 24" in auckland and "Mon 23" not in auckland


def test_a_visits_calendar_entry_is_in_the_partnerships_own_time_zone(members: Bot) -> None:
    lives_in(members.engine, "Pacific/Auckland")
    day = coming("tue")
    members.ask(f"book HRS {typed(day)} am", command="/hotdesk")
    members.fake.wait_for("files.completeUploadExternal")
    (calendar,) = members.fake.uploaded_files(MEMBER)
    assert f"DTSTART;TZID=Pacific/Auckland:{day:%Y%m%d}T090000" in calendar.content.decode()


def lives_in(engine: Engine, zone: str) -> None:
    """The partnership file's `timezone`, as `config load` sets it."""
    with Session(engine) as session:
        partnership = session.exec(select(Partnership)).one()
        partnership.timezone = zone
        session.add(partnership)
        session.commit()


def test_a_partnership_zone_that_cannot_be_read_is_answered_not_left_silent(
    members: Bot,
) -> None:
    """Its zone is read in the listener's work, where any failure is answered."""
    lives_in(members.engine, "Mars/Olympus_Mons")  # no such zone: written past the file's check
    answer = shown(members.ask("free", command="/hotdesk"))
    assert "went wrong" in answer.lower() and "reference" in answer.lower(), answer
