"""Data protection end to end: export, erasure (scanning every table), handover on leaving,
pausing when uninstalled, retention and the audit trail; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from bot.models import (
    Commitment,
    DeskBooking,
    Opportunity,
    OpportunityInterest,
    Organisation,
    PartnershipSession,
    PartnerUpdate,
    Rsvp,
)
from bot.services.directory import Directory, Profile
from bot.services.rights import sending_paused
from bot.testing.fake_slack import FakeSlack
from jobs.clock import run_job
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import shown
from tests.test_clock import context

LONDON = ZoneInfo("Europe/London")
AMINA = "U0000AMINA1"  # key worker at Harbour (HRS)


def seed(bot: Bot) -> None:
    """MEMBER (NCL) and OTHER (NRH) each have one of everything; OTHER mentions MEMBER."""
    for user_id, code in ((MEMBER, "NCL"), (OTHER, "NRH")):
        bot.ask(f"join {code}", user_id=user_id)
    bot.ask("digest dm on", user_id=MEMBER)
    today = datetime.now(LONDON).date()
    with Session(bot.engine) as session:
        ids = dict(session.exec(select(Organisation.code, Organisation.id)).all())
        meeting = PartnershipSession(
            title="Spring session",
            kind="strategic",
            held_on=today - timedelta(days=2),
            next_on=today + timedelta(days=30),
            created_by=COORDINATOR,
        )
        session.add(meeting)
        session.flush()
        for user_id, code, words in ((MEMBER, "NCL", "member's"), (OTHER, "NRH", "other's")):
            session.add(
                PartnerUpdate(
                    organisation_id=ids[code],
                    author_id=user_id,
                    text=f"The {words} update",
                    channel="#u",
                    ts=f"1.{len(words)}",
                )
            )
            session.add(
                DeskBooking(
                    organisation_id=ids["HRS"],
                    visitor_id=user_id,
                    visitor_organisation_id=ids[code],
                    day=today + timedelta(days=9 + len(words)),
                    part="day",
                    status="confirmed",
                )
            )
            opportunity = Opportunity(
                organisation_id=ids[code],
                poster_id=user_id,
                kind="event",
                title=f"The {words} event",
                channel="#o",
                ts=f"2.{len(words)}",
            )
            session.add(opportunity)
            session.flush()
            session.add(OpportunityInterest(opportunity_id=opportunity.id, member_id=user_id))
            session.add(
                Commitment(
                    session_id=meeting.id,
                    owner_id=user_id,
                    what=f"The {words} commitment",
                    created_by=COORDINATOR,
                )
            )
            session.add(Rsvp(session_id=meeting.id or 0, member_id=user_id, answer="coming"))
        session.add(
            PartnerUpdate(
                organisation_id=ids["NRH"],
                author_id=OTHER,
                text=f"Thanks to <@{MEMBER}> for the referral",
            )
        )
        session.commit()


def tables_naming(engine: Engine, user_id: str) -> list[str]:
    """Every table (full-text search shadows included) with a value that holds `user_id`."""
    found = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                values = [
                    v.decode(errors="ignore") if isinstance(v, bytes) else str(v) for v in row
                ]
                if any(user_id in value for value in values):
                    found.append(table)
                    break
    return found


def test_my_data_is_a_json_file_with_everything_about_them_and_nothing_of_others(
    bot: Bot,
) -> None:
    seed(bot)
    answer = shown(bot.ask("my-data", user_id=MEMBER))
    assert "Sent to your DMs" in answer
    bot.fake.wait_for("files.completeUploadExternal")
    (upload,) = bot.fake.uploaded_files(MEMBER)
    assert upload.filename == "partnerbot-my-data.json"
    data = json.loads(upload.content)
    assert data["membership"]["organisation"] == "Northside Care Leavers Project"
    assert data["preferences"]["digest_by_dm"] is True
    assert [u["text"] for u in data["updates"]] == ["The member's update"]
    assert [b["host"] for b in data["hot_desk_bookings"]] == ["Harbour Refugee Support"]
    assert [o["title"] for o in data["opportunities"]] == ["The member's event"]
    assert [i["opportunity"] for i in data["interest"]] == ["The member's event"]
    assert [c["what"] for c in data["commitments"]] == ["The member's commitment"]
    assert [r["answer"] for r in data["rsvps"]] == ["coming"]
    raw = upload.content.decode()
    assert OTHER not in raw and "other's" not in raw and "referral" not in raw


def test_forget_me_erases_everything_tells_hosts_and_audits_without_naming(bot: Bot) -> None:
    seed(bot)
    bot.fake.add_user(AMINA, "Amina Yusuf")
    bot.slack.command("/partners", "forget-me", user_id=MEMBER)
    form = bot.fake.wait_for("views.open")[-1].response["view"]
    assert "can't be undone" in shown(form) and "hosts told" in shown(form)
    choice = {
        "content": {"value": {"type": "radio_buttons", "selected_option": {"value": "delete"}}}
    }
    assert bot.slack.view_submission(MEMBER, form, choice).status == 200
    receipt = bot.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MEMBER and "erased" in c.args["text"]
    )[0]
    assert "bookings cancelled (hosts told): 1" in shown(receipt.args)
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == AMINA)[0]
    assert "visitor has left the partnership" in shown(told.args)
    bot.fake.wait_for("chat.delete", count=2)  # their update and opportunity left the channels
    assert tables_naming(bot.engine, MEMBER) == []
    with Session(bot.engine) as session:
        owners = session.exec(select(Commitment.owner_id, Commitment.note)).all()
        assert (COORDINATOR, "owner left") in owners
        assert session.exec(
            select(PartnerUpdate.text).where(PartnerUpdate.author_id == OTHER)
        ).all()
    audit = shown(bot.ask("audit", user_id=COORDINATOR))
    assert "erasure" in audit and "at their request" in audit
    assert "Only coordinators" in shown(bot.ask("audit", user_id=OTHER))


def test_a_coordinator_removes_someone_who_left_keeping_updates_for_the_organisation(
    bot: Bot,
) -> None:
    seed(bot)
    assert "Only coordinators" in shown(bot.ask(f"remove <@{MEMBER}|sam>", user_id=OTHER))
    bot.slack.command("/partners", f"remove <@{MEMBER}|sam>", user_id=COORDINATOR)
    form = bot.fake.wait_for("views.open")[-1].response["view"]
    keep = {"content": {"value": {"type": "radio_buttons", "selected_option": {"value": "keep"}}}}
    bot.slack.view_submission(COORDINATOR, form, keep)
    bot.fake.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == COORDINATOR and "erased" in c.args["text"],
    )
    assert tables_naming(bot.engine, MEMBER) == []
    with Session(bot.engine) as session:
        kept = session.exec(
            select(PartnerUpdate.author_id).where(PartnerUpdate.text == "The member's update")
        ).one()
        assert kept is None  # attributed to the organisation only
    assert "erasure" in shown(bot.ask("audit", user_id=COORDINATOR))


def test_a_deactivated_user_is_handed_over_to_the_coordinators(bot: Bot) -> None:
    seed(bot)
    bot.slack.event({"type": "user_change", "user": {"id": MEMBER, "deleted": True}})
    handover = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)[0]
    text = shown(handover.args)
    assert "deactivated" in text and "The member's commitment" in text and "Harbour" in text


def test_uninstalling_pauses_scheduled_sending_but_keeps_the_data(
    bot: Bot, fake_slack: FakeSlack
) -> None:
    seed(bot)
    bot.slack.event({"type": "app_uninstalled"})
    jobs = context(bot.engine, fake_slack)
    deadline = time.monotonic() + 5  # the event is handled after Slack's acknowledgement
    while not sending_paused(bot.engine) and time.monotonic() < deadline:
        time.sleep(0.02)
    summary = run_job("digest", jobs, datetime(2026, 11, 23, 9, 0))
    assert "paused" in summary
    with Session(bot.engine) as session:
        assert session.exec(select(PartnerUpdate)).all()
    assert "Only coordinators" in shown(bot.ask("resume", user_id=MEMBER))
    assert "has resumed" in shown(bot.ask("resume", user_id=COORDINATOR))
    assert "paused" not in run_job("digest", jobs, datetime(2026, 11, 23, 9, 0))


def test_retention_deletes_exactly_what_has_expired(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    Directory(loaded_engine).join(MEMBER, "NCL", lambda _: Profile("Sam"))
    now = datetime(2026, 11, 23, 3, 30, tzinfo=LONDON)
    with Session(loaded_engine) as session:
        ncl = session.exec(select(Organisation.id).where(Organisation.code == "NCL")).one()
        for days_ago in (800, 700):  # 24 months ≈ 730 days
            session.add(
                PartnerUpdate(
                    organisation_id=ncl,
                    author_id=MEMBER,
                    text=f"{days_ago}",
                    created_at=now.astimezone(UTC) - timedelta(days=days_ago),
                )
            )
        for days_ago in (400, 300):  # bookings: 12 months after the visit
            session.add(
                DeskBooking(
                    organisation_id=ncl,
                    visitor_id=MEMBER,
                    part="day",
                    status="confirmed",
                    day=now.date() - timedelta(days=days_ago),
                )
            )
        for days_ago in (1200, 1000):  # sessions: 36 months
            session.add(
                PartnershipSession(
                    title=str(days_ago),
                    kind="strategic",
                    created_by="U1",
                    held_on=now.date() - timedelta(days=days_ago),
                )
            )
        for days_ago in (400, 300):  # opportunities: 12 months after closing
            session.add(
                Opportunity(
                    organisation_id=ncl,
                    poster_id=MEMBER,
                    kind="other",
                    title=str(days_ago),
                    closes_on=now.date() - timedelta(days=days_ago),
                )
            )
        session.commit()
    jobs = context(loaded_engine, fake_slack)
    assert run_job("retention", context(loaded_engine, fake_slack, dry_run=True), now) == (
        "would delete 1 updates, 1 bookings, 1 sessions, 1 opportunities"
    )
    assert (
        run_job("retention", jobs, now)
        == "deleted 1 updates, 1 bookings, 1 sessions, 1 opportunities"
    )
    assert (
        run_job("retention", jobs, now)
        == "deleted 0 updates, 0 bookings, 0 sessions, 0 opportunities"
    )
    with Session(loaded_engine) as session:
        assert session.exec(select(PartnerUpdate.text)).all() == ["700"]
        assert [b.day for b in session.exec(select(DeskBooking))] == [
            now.date() - timedelta(days=300)
        ]
        assert session.exec(select(PartnershipSession.title)).all() == ["1000"]
        assert session.exec(select(Opportunity.title)).all() == ["300"]


def test_every_coordinator_action_is_in_the_audit_trail(bot: Bot) -> None:
    bot.ask("org add BHT Bridges Health Trust", user_id=COORDINATOR)
    bot.ask(f"coordinator add <@{OTHER}|olu>", user_id=COORDINATOR)
    audit = shown(bot.ask("audit", user_id=COORDINATOR))
    assert "organisation added" in audit and "BHT Bridges Health Trust" in audit
    assert "coordinator added" in audit and date.today().strftime("%Y") in audit
