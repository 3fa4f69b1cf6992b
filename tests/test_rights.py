"""Data protection end to end: export, erasure (scanning every table), handover on leaving,
pausing when uninstalled, retention and the audit trail; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from bot.__main__ import load_partnership
from bot.fakeslack import FakeSlack
from bot.models import (
    AuditEntry,
    Commitment,
    Delivery,
    DeskBooking,
    EmailDelivery,
    InboxItem,
    JobRun,
    Member,
    Opportunity,
    OpportunityInterest,
    Organisation,
    OutboxItem,
    PartnershipSession,
    PartnerUpdate,
    ProcessedEvent,
    Rsvp,
)
from bot.scoping import across_partnerships
from bot.services.directory import Directory, Profile
from bot.services.gate import trusted
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    parse_partnership,
)
from bot.services.rights import sending_paused
from jobs.clock import run_job
from jobs.registry import JOBS
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import DIGEST_CHANNEL, MONDAY_9, job_context, shown

LONDON = ZoneInfo("Europe/London")
AMINA = "U0000AMINA1"  # key worker at Harbour (HRS), named in the sample file; never joined
TENDAI = "U0000COORD2"  # a coordinator in the sample file who never used the bot


def seed(bot: Bot) -> None:
    """MEMBER (NCL) and OTHER (NRH) each have one of everything; OTHER mentions MEMBER."""
    for user_id, code in ((MEMBER, "NCL"), (OTHER, "NRH")):
        bot.ask(f"join {code}", user_id=user_id)
    bot.ask("digest dm on", user_id=MEMBER)
    today = datetime.now(LONDON).date()
    with Session(bot.engine) as session:
        ids = dict(session.exec(select(Organisation.code, Organisation.id)).all())
        meeting = PartnershipSession(
            title=trusted("Spring session"),
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
                    text=trusted(f"The {words} update"),
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
                title=trusted(f"The {words} event"),
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
                    what=trusted(f"The {words} commitment"),
                    created_by=COORDINATOR,
                )
            )
            session.add(Rsvp(session_id=meeting.id or 0, member_id=user_id, answer="coming"))
        session.add(
            PartnerUpdate(
                organisation_id=ids["NRH"],
                author_id=OTHER,
                text=trusted(f"Thanks to <@{MEMBER}> for the referral"),
            )
        )
        session.commit()


def erase(bot: Bot, actor: str, command: str, content: str) -> dict:
    """`/partners forget-me` or `remove @…`, confirmed in the form with `content` ("delete" or
    "keep"); the receipt (or refusal) the actor gets by DM."""
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/partners", command, user_id=actor)
    form = bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]
    choice = {
        "content": {"value": {"type": "radio_buttons", "selected_option": {"value": content}}}
    }
    told = len([c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == actor])
    assert bot.slack.view_submission(actor, form, choice).status == 200
    return bot.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == actor, count=told + 1
    )[-1].args


def tables_naming(engine: Engine, user_id: str) -> list[str]:
    """Every table (full-text search shadows included) with a value that holds `user_id` (or any
    other text: a name, what an update said), once the requests in hand are done (the inbox
    blanks a request's body when its work ends)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with engine.execution_options(**across_partnerships).connect() as connection:
            working = "SELECT count(*) FROM inbox_item WHERE status = 'working'"
            if not connection.execute(text(working)).scalar():
                break
        time.sleep(0.02)
    found = []
    with engine.execution_options(**across_partnerships).connect() as connection:
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
    assert data["preferences"]["digest_by_email_to"] is None
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
    assert "Only coordinators" in shown(bot.ask("remove @sam", user_id=OTHER))
    erase(bot, COORDINATOR, "remove @sam", "keep")
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
    jobs = job_context(bot.engine, fake_slack)
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
    utc = now.astimezone(UTC)
    with Session(loaded_engine) as session:
        ncl = session.exec(select(Organisation.id).where(Organisation.code == "NCL")).one()
        for days_ago in (800, 700):  # 24 months ≈ 730 days
            session.add(
                PartnerUpdate(
                    organisation_id=ncl,
                    author_id=MEMBER,
                    text=trusted(f"{days_ago}"),
                    created_at=utc - timedelta(days=days_ago),
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
                    title=trusted(str(days_ago)),
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
                    title=trusted(str(days_ago)),
                    closes_on=now.date() - timedelta(days=days_ago),
                )
            )
        # Job runs: 12 months; deliveries: 3 months (≈ 91 days), and with their job run.
        for days_ago, delivered in ((400, (400,)), (100, (100, 80))):
            run = JobRun(
                job="digest", scope="partnership", period=f"p{days_ago}",
                claimed_at=utc - timedelta(days=days_ago),
            )  # fmt: skip
            session.add(run)
            session.flush()
            for age in delivered:
                session.add(
                    Delivery(
                        job_run_id=run.id, recipient=f"U{age}", message="{}", status="sent",
                        updated_at=utc - timedelta(days=age),
                    )
                )  # fmt: skip
        for days_ago in (100, 80):  # emails sent or refused: as deliveries, 3 months
            session.add(
                EmailDelivery(
                    key=f"e{days_ago}", recipient="someone@example.org", message="",
                    status="sent", updated_at=utc - timedelta(days=days_ago),
                )
            )  # fmt: skip
        for days_ago in (2200, 2100):  # audit entries: six years ≈ 2192 days
            session.add(
                AuditEntry(actor="U1", action=f"a{days_ago}", at=utc - timedelta(days=days_ago))
            )
        for days_ago in (4, 2):  # Slack event ids, and finished requests: 3 days
            session.add(
                ProcessedEvent(event_id=f"Ev{days_ago}", received_at=utc - timedelta(days=days_ago))
            )
            for status in ("done", "working"):  # one still in hand: never pruned
                received = utc - timedelta(days=days_ago)
                session.add(InboxItem(kind=status, status=status, received_at=received))
            for status in ("sent", "sending"):  # sends too: one in flight is never pruned
                written = utc - timedelta(days=days_ago)
                session.add(OutboxItem(kind="dm", target="", status=status, created_at=written))
        session.commit()
    jobs = job_context(loaded_engine, fake_slack)
    assert run_job("retention", job_context(loaded_engine, fake_slack, dry_run=True), now) == (
        "would delete 1 updates, 1 bookings, 1 sessions, 1 opportunities, 2 deliveries, "
        "1 emails, 1 job runs, 1 audit entries, 1 event ids, 1 requests, 1 sends"
    )
    assert run_job("retention", jobs, now) == (
        "deleted 1 updates, 1 bookings, 1 sessions, 1 opportunities, 2 deliveries, "
        "1 emails, 1 job runs, 1 audit entries, 1 event ids, 1 requests, 1 sends"
    )
    assert run_job("retention", jobs, now) == (
        "deleted 0 updates, 0 bookings, 0 sessions, 0 opportunities, 0 deliveries, "
        "0 emails, 0 job runs, 0 audit entries, 0 event ids, 0 requests, 0 sends"
    )
    with Session(loaded_engine) as session:
        assert session.exec(select(PartnerUpdate.text)).all() == ["700"]
        assert [b.day for b in session.exec(select(DeskBooking))] == [
            now.date() - timedelta(days=300)
        ]
        assert session.exec(select(PartnershipSession.title)).all() == ["1000"]
        assert session.exec(select(Opportunity.title)).all() == ["300"]
        assert session.exec(select(JobRun.period)).all() == ["p100"]
        assert session.exec(select(Delivery.recipient)).all() == ["U80"]
        actions = session.exec(select(AuditEntry.action)).all()
        assert "a2200" not in actions and "a2100" in actions and "retention" in actions
        assert session.exec(select(ProcessedEvent.event_id)).all() == ["Ev2"]
        assert len(session.exec(select(InboxItem.kind)).all()) == 3
        assert len(session.exec(select(OutboxItem.kind)).all()) == 3

    # The partnership file sets the periods: event ids kept one day, audit entries five years.
    policy = '[partnership]\nname = "P"\n[retention]\nevent_ids_days = 1\naudit_entries = 60\n'
    apply_partnership(loaded_engine, parse_partnership(policy, jobs=JOBS))
    assert run_job("retention", jobs, now).endswith(
        ", 1 audit entries, 1 event ids, 1 requests, 1 sends"
    )


def test_every_coordinator_action_is_in_the_audit_trail(bot: Bot) -> None:
    bot.ask("org add BHT Bridges Health Trust", user_id=COORDINATOR)
    bot.ask(f"coordinator add <@{OTHER}|olu>", user_id=COORDINATOR)
    audit = shown(bot.ask("audit", user_id=COORDINATOR))
    assert "organisation added" in audit and "BHT Bridges Health Trust" in audit
    assert "coordinator added" in audit and date.today().strftime("%Y") in audit


# Erasure and what the bot already sent ----------------------------------------------------------


def digest_week(bot: Bot, others_too: bool = True) -> None:
    """MEMBER (NCL) posts an update and shares a training in the week before Monday 23
    November, OTHER (NRH) an update too unless not `others_too`; the digest goes to the channel
    and by DM to OTHER and COORDINATOR."""
    bot.ask("join NCL", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    utc = MONDAY_9.astimezone(UTC)
    with Session(bot.engine) as session:
        ids = dict(session.exec(select(Organisation.code, Organisation.id)).all())
        session.add(
            PartnerUpdate(
                organisation_id=ids["NCL"], author_id=MEMBER, channel="#u", ts="1.1",
                text=trusted("Saturday drop-in for young people"),
                created_at=utc - timedelta(days=2),
            )
        )  # fmt: skip
        session.add(
            Opportunity(
                organisation_id=ids["NCL"], poster_id=MEMBER, kind="training",
                title=trusted("Trauma-informed practice & care"), link=trusted("https://example.org/t"),
                channel="#o", ts="2.1", created_at=utc - timedelta(days=3),
                closes_on=MONDAY_9.date() + timedelta(days=4),
            )
        )  # fmt: skip
        if others_too:
            session.add(
                PartnerUpdate(
                    organisation_id=ids["NRH"], author_id=OTHER,
                    text=trusted(f"Rent deposit guarantee extended, thanks to <@{MEMBER}>"),
                    created_at=utc - timedelta(days=1),
                )
            )  # fmt: skip
        for user_id in (OTHER, COORDINATOR):
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).one()
            member.digest_dm = True
            session.add(member)
        session.commit()
    summary = run_job("digest", job_context(bot.engine, bot.fake), MONDAY_9)
    assert summary == "2026-W48: 3 sent", summary
    posted = shown(bot.fake.messages(DIGEST_CHANNEL))
    assert "Saturday drop-in" in posted and "Trauma-informed practice" in posted


def digests_in_slack(bot: Bot) -> list[str]:
    """The digest as Slack shows it now: in the channel, and in OTHER's and COORDINATOR's DMs."""
    return [
        shown(message)
        for where in (DIGEST_CHANNEL, OTHER, COORDINATOR)
        for message in bot.fake.messages(where)
        if "the week" in shown(message) or "Removed at a member's request" in shown(message)
    ]


def test_deleting_their_content_takes_it_out_of_stored_and_posted_digests(bot: Bot) -> None:
    digest_week(bot)
    receipt = shown(erase(bot, MEMBER, "forget-me", "delete"))
    assert "3 rewritten; redrawn in Slack: 3" in receipt
    copies = digests_in_slack(bot)
    assert len(copies) == 3
    for copy in copies:
        assert "Saturday drop-in" not in copy and "Trauma-informed" not in copy
        assert "Rent deposit guarantee extended, thanks to a former member" in copy
        assert "1 update from 1 organisation" in copy
        assert "removed at a member's request" in copy
    for erased in ("Saturday drop-in", "Trauma-informed", MEMBER):
        assert tables_naming(bot.engine, erased) == [], erased
    with Session(bot.engine) as session:
        assert not session.exec(select(Delivery).where(Delivery.redraw)).all()


def test_reminders_about_a_deleted_opportunity_are_blanked(bot: Bot) -> None:
    digest_week(bot)
    with Session(bot.engine) as session:
        training = session.exec(select(Opportunity.id)).one()
        session.add(OpportunityInterest(opportunity_id=training, member_id=OTHER))
        session.commit()
    tuesday_evening = datetime(2026, 11, 24, 18, 0, tzinfo=LONDON)  # three days before it closes
    assert "1 sent" in run_job(
        "opportunity-reminders", job_context(bot.engine, bot.fake), tuesday_evening
    )
    assert "Closing soon: Trauma-informed" in bot.fake.messages(OTHER)[-1]["text"]
    erase(bot, MEMBER, "forget-me", "delete")
    reminder = shown(bot.fake.messages(OTHER)[-1])
    assert "Removed at a member's request" in reminder and "Trauma" not in reminder
    assert tables_naming(bot.engine, "Trauma-informed") == []


def test_messages_sent_before_slack_channel_ids_were_kept_are_redrawn_where_they_can_be(
    bot: Bot,
) -> None:
    digest_week(bot)
    with Session(bot.engine) as session:  # as migration 0008 found them
        for delivery in session.exec(select(Delivery)):
            delivery.channel = None
            session.add(delivery)
        session.commit()
    receipt = shown(erase(bot, MEMBER, "forget-me", "delete"))
    assert "redrawn in Slack: 2" in receipt  # the DMs, found again with conversations.open
    assert "Slack would not redraw 1 (channel id not recorded)" in receipt
    assert "a coordinator can delete them in Slack" in receipt
    assert "Saturday drop-in" not in shown(bot.fake.messages(OTHER))
    assert tables_naming(bot.engine, "Saturday drop-in") == []


def test_a_digest_with_nothing_else_in_it_is_blanked(bot: Bot) -> None:
    digest_week(bot, others_too=False)
    erase(bot, COORDINATOR, "remove @sam", "delete")
    copies = digests_in_slack(bot)
    assert len(copies) == 3
    for copy in copies:
        assert "Removed at a member's request" in copy
        assert "Saturday drop-in" not in copy and "Trauma-informed" not in copy
    assert tables_naming(bot.engine, "Saturday drop-in") == []


def test_keeping_their_content_leaves_the_digests_as_they_were(bot: Bot) -> None:
    digest_week(bot)
    erase(bot, MEMBER, "forget-me", "keep")
    assert not [c for c in bot.fake.calls_to("chat.update") if c.ok]
    with Session(bot.engine) as session:
        stored = "".join(session.exec(select(Delivery.message)).all())
    assert "Saturday drop-in" in stored and MEMBER not in stored


def test_slack_refusing_a_redraw_is_reported_and_housekeeping_tries_again(bot: Bot) -> None:
    digest_week(bot)
    bot.fake.fail_next("chat.update", status=500)  # the channel's copy comes first
    receipt = shown(erase(bot, MEMBER, "forget-me", "delete"))
    assert "redrawn in Slack: 2" in receipt
    assert "Slack would not redraw 1 just now (internal_error)" in receipt
    told = bot.fake.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == COORDINATOR and "Slack still shows" in c.args["text"],
    )[0]
    assert "erasure-" in shown(told.args)
    assert "Saturday drop-in" in shown(bot.fake.messages(DIGEST_CHANNEL))  # still, in Slack
    audit = shown(bot.ask("audit", user_id=COORDINATOR))
    assert "erasure follow-up" in audit and "1 to try again (internal_error)" in audit

    summary = run_job("housekeeping", job_context(bot.engine, bot.fake), datetime.now(LONDON))
    assert "messages erasures rewrote: 1 redrawn" in summary
    assert "Saturday drop-in" not in shown(bot.fake.messages(DIGEST_CHANNEL))
    again = run_job("housekeeping", job_context(bot.engine, bot.fake), datetime.now(LONDON))
    assert "erasures rewrote" not in again


# People named in the partnership file who never used the bot -------------------------------------


def test_someone_named_in_the_file_who_never_joined_is_removed_and_stays_removed(
    bot: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    """Amina is Harbour's key worker in the file (and was made a coordinator in Slack, which the
    audit trail records by her id); Tendai is a coordinator in the file. Neither used the bot."""
    bot.fake.add_user(TENDAI, "Tendai Moyo", display_name="tendai")
    assert "coordinator" in shown(bot.ask("coordinator add @amina", user_id=COORDINATOR))
    receipts = {}
    for handle, name, person in (
        ("amina", "Amina Yusuf", AMINA),
        ("tendai", "Tendai Moyo", TENDAI),
    ):
        assert tables_naming(bot.engine, name) and tables_naming(bot.engine, person)
        receipts[handle] = shown(erase(bot, COORDINATOR, f"remove @{handle}", "keep"))
        assert "Their data has been erased" in receipts[handle]
        assert tables_naming(bot.engine, person) == [], person
        assert tables_naming(bot.engine, name) == [], name
    assert "named as key worker for 1 organisation: removed" in receipts["amina"]

    capsys.readouterr()
    # as at every start, or `partnerbot config load`:
    load_partnership(bot.engine, str(SAMPLE_PARTNERSHIP))
    assert "skipped 2 people erased at their request" in capsys.readouterr().out
    for erased in (AMINA, "Amina Yusuf", TENDAI, "Tendai Moyo"):
        assert tables_naming(bot.engine, erased) == [], erased
    audit = shown(bot.ask("audit", user_id=COORDINATOR))
    assert audit.count("erasure") >= 2 and "Amina" not in audit and "Tendai" not in audit
    assert "Amina" not in shown(bot.ask("org HRS", user_id=COORDINATOR))


def test_removing_someone_the_bot_knows_nothing_about_says_so(bot: Bot) -> None:
    bot.fake.add_user("U0NOBODY1", "Nobody Known", display_name="nobody")
    answer = shown(erase(bot, COORDINATOR, "remove @nobody", "keep"))
    assert "holds nothing about that person" in answer
