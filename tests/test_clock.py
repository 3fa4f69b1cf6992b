"""The clock and the weekly digest: once a week, never twice, never lost, within limits."""

from __future__ import annotations

import itertools
import socket
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.db import make_engine
from bot.fakeslack import FakeSlack
from bot.models import (
    Delivery,
    Draft,
    JobRun,
    Member,
    Organisation,
    Partnership,
    PartnerUpdate,
    ProcessedEvent,
    utcnow,
)
from bot.services.email.links import Mailing
from bot.services.gate import trusted
from bot.services.partnership_file import PartnershipFileError, parse_partnership
from bot.services.schedule import parse_when
from bot.slack.blocks.common import Message
from bot.slack.pacing import Pacer
from jobs import turns
from jobs.clock import (
    DRAFT_SWEEP_EVERY,
    Clock,
    catch_up,
    clock_jobs,
    latest_fire,
    run_job,
    run_on_turn,
    sweep_drafts,
    trigger,
)
from jobs.delivery import claim, deliver
from jobs.registry import JOBS
from tests.conftest import COORDINATOR, MEMBER, OTHER, SLACK_TIMEOUT, Bot
from tests.helpers import (
    DIGEST_CHANNEL,
    LONDON,
    MONDAY_9,
    buttons,
    job_context,
    limited_slack,
    replies_to,
    shown,
)


def seed(engine: Engine, opted_in: tuple[str, ...] = (MEMBER, OTHER, COORDINATOR)) -> None:
    """Two organisations posting in the week before Monday 23 November; members opted in."""
    with Session(engine) as session:
        codes = {org.code: org.id for org in session.exec(select(Organisation))}
        for code, text, days_ago in (
            ("HRS", "Saturday drop-in for young people", 2),
            ("HRS", "New ESOL conversation club", 4),
            ("NRH", "Rent deposit guarantee extended", 1),
            ("NRH", "Last week's news", 9),
        ):
            session.add(
                PartnerUpdate(
                    organisation_id=codes[code], author_id=MEMBER, text=trusted(text),
                    created_at=MONDAY_9.astimezone(UTC) - timedelta(days=days_ago),
                )
            )  # fmt: skip
        for user_id in opted_in:
            member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
            member = member or Member(slack_user_id=user_id)
            member.digest_dm = True
            session.add(member)
        session.commit()


def channel_posts(fake: FakeSlack) -> list:
    return [
        c for c in fake.calls_to("chat.postMessage") if c.ok and c.args["channel"] == DIGEST_CHANNEL
    ]


def dms(fake: FakeSlack) -> list[str]:
    return sorted(
        c.args["channel"]
        for c in fake.calls_to("chat.postMessage")
        if c.ok and c.args["channel"].startswith("U")
    )


def test_the_digest_goes_to_the_channel_and_opted_in_members_once(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine)
    summary = run_job(
        "digest", job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(minutes=1)
    )
    assert summary == "2026-W48: 4 sent"
    [post] = channel_posts(fake_slack)
    text = shown(post.args)
    assert "Harbour Refugee Support" in text and "Saturday drop-in" in text
    assert "New Roots Housing" in text and "Rent deposit guarantee" in text
    assert "Last week's news" not in text
    assert "Quiet for four weeks" not in text
    assert dms(fake_slack) == sorted([MEMBER, OTHER, COORDINATOR])
    coordinator_copy = next(
        c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == COORDINATOR
    )
    assert "Quiet for four weeks" in shown(coordinator_copy.args)
    assert "Safe Passage Legal Advice" in shown(coordinator_copy.args)

    again = run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(hours=2))
    assert again.startswith("2026-W48: already done")
    assert len(fake_slack.calls_to("chat.postMessage")) == 4


def test_a_week_with_nothing_in_it_sends_nothing(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    summary = run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9)
    assert "nothing happened this week" in summary
    assert not fake_slack.calls_to("chat.postMessage")
    with Session(loaded_engine) as session:
        assert session.exec(select(JobRun)).one().finished_at is not None


def test_two_clocks_at_once_send_one_digest(
    loaded_engine: Engine, fake_slack: FakeSlack, database_url: str
) -> None:
    seed(loaded_engine)
    engines = [make_engine(database_url) for _ in range(4)]  # separate connection pools
    start = threading.Barrier(len(engines))
    results: list[str] = []

    def clock(engine: Engine) -> None:
        start.wait()
        results.append(run_job("digest", job_context(engine, fake_slack), MONDAY_9))

    threads = [threading.Thread(target=clock, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(channel_posts(fake_slack)) == 1
    assert dms(fake_slack) == sorted([MEMBER, OTHER, COORDINATOR])
    assert len(results) == len(engines), results
    for engine in engines:
        engine.dispose()


def test_of_clocks_firing_the_digest_at_once_one_builds_and_sends_it(
    loaded_engine: Engine, fake_slack: FakeSlack, database_url: str
) -> None:
    """Its turn is one clock's: the others pass over it rather than build it to find it
    claimed."""
    seed(loaded_engine)
    engines = [make_engine(database_url) for _ in range(4)]  # separate connection pools
    start = threading.Barrier(len(engines))
    results: list[str | None] = []

    def clock(engine: Engine) -> None:
        context = job_context(engine, fake_slack)
        start.wait()
        results.append(run_on_turn(JOBS["digest"], context, MONDAY_9, MONDAY_9))

    threads = [threading.Thread(target=clock, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results, key=str) == ["2026-W48: 4 sent", None, None, None]
    assert len(channel_posts(fake_slack)) == 1
    for engine in engines:
        engine.dispose()


def test_a_run_held_by_a_clock_that_died_is_run_once_its_hold_runs_out(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine)
    held = turns.take(loaded_engine, "digest", MONDAY_9, MONDAY_9)  # and then the clock died
    assert held is not None
    context = job_context(loaded_engine, fake_slack)
    soon = catch_up(context, MONDAY_9 + timedelta(minutes=5))
    assert not any(line.startswith("digest:") for line in soon), soon  # still its hold
    assert channel_posts(fake_slack) == []
    later = catch_up(context, MONDAY_9 + turns.HOLD + timedelta(minutes=1))
    assert "digest: 2026-W48: 4 sent" in later, later
    turns.give_back(loaded_engine, held, done=False)  # the dead clock's hold is not the new one
    assert turns.done_through(loaded_engine)["digest"] == MONDAY_9
    assert len(channel_posts(fake_slack)) == 1


def test_each_days_retention_runs_once_not_at_every_catch_up(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    context = job_context(loaded_engine, fake_slack)
    first = catch_up(context, MONDAY_9)
    assert {line.split(":")[0] for line in first} >= {"retention", "housekeeping", "digest"}
    again = catch_up(context, MONDAY_9 + timedelta(minutes=5))
    assert again == [], again  # (email is off: the clock has no job sending it)


def test_a_run_broken_part_way_is_resumed_and_nobody_gets_two(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine)
    fake_slack.fail_next("chat.postMessage", status=500, count=2, after=2)  # 4 to send
    first = run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9)
    assert "2 sent" in first and "left for the next run" in first
    second = catch_up(job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(minutes=5))
    assert any(line.startswith("digest: 2026-W48: resumed: 2 sent") for line in second), second
    delivered = [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert sorted(delivered) == sorted([DIGEST_CHANNEL, MEMBER, OTHER, COORDINATOR])


def test_a_delivery_interrupted_mid_send_is_reported_not_resent(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine, opted_in=(MEMBER,))
    fake_slack.fail_next("chat.postMessage", status=500, count=1, after=1)  # 2 to send
    run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9)
    with Session(loaded_engine) as session:  # as if the process died after taking the row
        session.exec(
            update(Delivery)
            .where(Delivery.status == "pending")
            .values(status="sending", updated_at=utcnow() - timedelta(hours=1))
        )
        session.commit()
    summary = run_job(
        "digest", job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(minutes=30)
    )
    assert "1 interrupted mid-send, not resent" in summary
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == 1


def test_a_delivery_slack_did_not_confirm_is_reported_and_never_sent_again(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine, opted_in=(MEMBER,))
    fake_slack.stall_next("chat.postMessage", SLACK_TIMEOUT + 0.3)  # the channel's copy
    summary = run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9)
    assert summary == "2026-W48: 1 sent, 1 not confirmed by Slack (no answer), not resent"
    later = run_job(
        "digest", job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(minutes=5)
    )
    assert "already done" in later
    assert len(channel_posts(fake_slack)) == 1  # Slack had posted it; the bot never posts twice


def test_slack_unreachable_leaves_the_run_for_the_next_catch_up(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine, opted_in=(MEMBER,))
    with socket.socket() as closed:  # a port nothing listens on: the connection is refused
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
    offline = job_context(loaded_engine, fake_slack, slack_url=nowhere)
    assert "2 left for the next run" in run_job("digest", offline, MONDAY_9)
    later = catch_up(job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(minutes=5))
    assert "digest: 2026-W48: resumed: 2 sent" in later, later
    assert len(channel_posts(fake_slack)) == 1


def test_a_missed_monday_is_caught_up_once(loaded_engine: Engine, fake_slack: FakeSlack) -> None:
    seed(loaded_engine)
    monday_2pm = MONDAY_9 + timedelta(hours=5)
    first = catch_up(job_context(loaded_engine, fake_slack), monday_2pm)
    assert "digest: 2026-W48: 4 sent" in first, first
    second = catch_up(job_context(loaded_engine, fake_slack), monday_2pm + timedelta(minutes=5))
    assert not any(line.startswith("digest:") for line in second), second  # done: passed over
    assert len(channel_posts(fake_slack)) == 1
    too_late = catch_up(job_context(loaded_engine, fake_slack), MONDAY_9 + timedelta(days=2))
    assert not any(line.startswith("digest:") for line in too_late), too_late


def test_slack_rate_limits_are_waited_out_with_nothing_lost(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1, after=1)
    assert run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9) == "2026-W48: 4 sent"


def test_an_unreachable_member_is_marked_failed_and_the_rest_still_get_it(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine, opted_in=(MEMBER, "U0GONE"))
    summary = run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9)
    assert "2 sent" in summary or "3 sent" in summary
    with Session(loaded_engine) as session:
        statuses = {d.recipient: d.status for d in session.exec(select(Delivery))}
    assert statuses[MEMBER] == "sent" and statuses[DIGEST_CHANNEL] == "sent"


def test_a_dry_run_says_what_it_would_send_and_claims_nothing(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    seed(loaded_engine, opted_in=(MEMBER,))
    lines: list[str] = []
    summary = run_job("digest", job_context(loaded_engine, fake_slack, True, lines), MONDAY_9)
    assert "would send 2 messages" in summary
    assert any(line.startswith(f"would send to {DIGEST_CHANNEL}") for line in lines)
    assert not fake_slack.calls_to("chat.postMessage")
    with Session(loaded_engine) as session:
        assert session.exec(select(JobRun)).first() is None


def test_a_huge_week_is_summarised_within_slacks_limits(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    with Session(loaded_engine) as session:
        for number in range(60):
            org = Organisation(code=f"O{number:03d}", name=f"Organisation number {number}")
            session.add(org)
            session.flush()
            for update_number in range(8):
                text = "word " * 500 + str(update_number)
                session.add(
                    PartnerUpdate(
                        organisation_id=org.id, author_id=MEMBER, text=trusted(text),
                        created_at=MONDAY_9.astimezone(UTC) - timedelta(days=1),
                    )
                )  # fmt: skip
        session.commit()
    assert run_job("digest", job_context(loaded_engine, fake_slack), MONDAY_9) == "2026-W48: 1 sent"
    [post] = channel_posts(fake_slack)
    assert len(post.args["blocks"]) <= 50
    assert "Also posting this week" in shown(post.args)


def test_weekly_nine_oclock_stays_nine_oclock_across_clock_changes(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    ctx = job_context(loaded_engine, fake_slack)
    when = parse_when("mon 09:00")
    fires = []
    moment = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)
    while moment < datetime(2027, 4, 12, tzinfo=UTC):
        fire = latest_fire(when, ctx, moment)
        if fire not in fires:
            fires.append(fire)
        moment += timedelta(hours=23)
    local = [fire.astimezone(LONDON) for fire in fires]
    assert all((f.weekday(), f.hour, f.minute) == (0, 9, 0) for f in local)
    assert all((b.date() - a.date()).days == 7 for a, b in itertools.pairwise(local))
    assert len(local) == 26  # every Monday from 12 October to 5 April


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("mon 02:30", "clocks change"),
        ("funday 09:00", "not a day name"),
        ("monday", "not a schedule"),
    ],
)
def test_a_bad_schedule_in_the_partnership_file_names_the_line(entry: str, problem: str) -> None:
    text = f'[partnership]\nname = "P"\n\n[schedule]\ndigest = "{entry}"\n'
    with pytest.raises(PartnershipFileError) as error:
        parse_partnership(text, "p.toml", jobs=JOBS)
    assert str(error.value).startswith("p.toml, line 5, schedule.digest:")
    assert problem in str(error.value)


def test_members_choose_the_digest_by_dm(bot: Bot) -> None:
    assert "Weekly digest by DM*: off" in shown(bot.ask("whoami"))
    assert "will come to you by DM" in shown(bot.ask("digest dm on"))
    assert "Weekly digest by DM*: on" in shown(bot.ask("whoami"))
    assert "won't come by DM" in shown(bot.ask("digest dm off"))
    assert "`/partners digest dm on`" in shown(bot.ask("digest"))


def test_held_drafts_are_gone_before_they_are_a_day_old(bot: Bot) -> None:
    """The README's "held text is kept at most a day", whatever the housekeeping schedule: the
    clock sweeps every five minutes, taking each draft before its day is up."""
    bot.ask("join HRS")
    held = bot.ask("Can someone call Ahmed on 07700 900123 about housing?", command="/update")
    anyway = next(b for b in buttons(held) if b["action_id"] == "update_post_anyway")
    jobs = job_context(bot.engine, bot.fake)
    scheduled = {job.id: job.trigger for job in Clock(jobs).scheduler.get_jobs()}
    assert scheduled["drafts"].interval <= DRAFT_SWEEP_EVERY <= timedelta(minutes=5)
    with Session(bot.engine) as session:
        held_at = session.exec(select(Draft.created_at)).one()
    assert sweep_drafts(jobs, held_at + timedelta(hours=23, minutes=50)) == 0
    assert sweep_drafts(jobs, held_at + timedelta(days=1) - DRAFT_SWEEP_EVERY / 2) == 1
    replies = replies_to(
        bot, lambda: bot.slack.block_action(MEMBER, "update_post_anyway", anyway["value"])
    )
    assert "already been posted or discarded" in shown(replies[-1])
    assert "0 held drafts" in run_job("housekeeping", jobs, utcnow())


def test_housekeeping_forgets_event_ids_after_the_retention_period(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    now = datetime.now(LONDON)
    with Session(loaded_engine) as session:
        for days in (4, 2, 0):
            session.add(
                ProcessedEvent(event_id=f"Ev{days}", received_at=utcnow() - timedelta(days=days))
            )
        session.commit()
    jobs = job_context(loaded_engine, fake_slack)
    assert run_job("housekeeping", jobs, now).startswith("forgot 1 Slack event ids")  # 3 days
    with Session(loaded_engine) as session:
        row = session.get(Partnership, 1)
        row.retention = '{"event_ids_days": 1}'
        session.add(row)
        session.commit()
    assert run_job("housekeeping", jobs, now).startswith("forgot 1 Slack event ids")
    with Session(loaded_engine) as session:
        assert session.exec(select(ProcessedEvent.event_id)).all() == ["Ev0"]


def test_deliveries_go_several_at_once_within_slacks_limits_each_exactly_once(
    engine: Engine,
) -> None:
    """Senders overlap (Slack is a round trip away) yet keep to the posting limits; a 429 slows
    the pace and its delivery goes again in the same run, once."""
    recipients = [f"U{n:06d}" for n in range(40)]
    with limited_slack(recipients, per_second=20, latency=0.05) as fake:
        fake.fail_next("chat.postMessage", status=429, retry_after=1, after=5)
        messages = {user: Message(text="Your digest") for user in recipients}
        run_id = claim(engine, "digest", "test", "2026-W49", messages)
        assert run_id is not None
        pacer = Pacer(per_second=16)  # a margin under the limit, as POSTS_PER_SECOND keeps
        client = WebClient(
            token="xoxb-test", base_url=fake.base_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)],
        )  # fmt: skip
        tally = deliver(engine, run_id, client, pacer, senders=6)
        posts = fake.calls_to("chat.postMessage")
    assert (tally.sent, tally.failed, tally.deferred) == (40, [], 0)
    delivered = sorted(str(c.args["channel"]) for c in posts if c.ok)
    assert delivered == recipients  # each once, the refused one included
    assert [c.status for c in posts if not c.ok] == [429]  # heard by the pacer, not retried blind
    assert pacer.slowdowns == 1  # and it slowed down
    with Session(engine) as session:
        assert {d.status for d in session.exec(select(Delivery))} == {"sent"}


@pytest.mark.parametrize("every", [1, 5, 15])
def test_a_job_every_few_minutes_last_fired_where_its_cron_trigger_says(
    loaded_engine: Engine, fake_slack: FakeSlack, every: int
) -> None:
    """Counted rather than stepped through: the same minute the scheduler fires it at."""
    ctx = job_context(loaded_engine, fake_slack)
    when = parse_when(f"every {every} minutes")
    cron = trigger(when, ctx)
    moment = datetime(2026, 11, 2, 0, 20, 30, tzinfo=UTC)
    for _ in range(40):
        fires = [cron.get_next_fire_time(None, moment - timedelta(hours=1))]
        while len(fires) < 70 and fires[-1] <= moment:
            fires.append(cron.get_next_fire_time(fires[-1], fires[-1] + timedelta(seconds=1)))
        assert latest_fire(when, ctx, moment) == fires[-2]  # the last at or before the moment
        moment += timedelta(minutes=11, seconds=17)
    # The night the clocks go back, where stepping through the trigger never ended.
    fall_back = datetime(2026, 10, 25, 1, 7, 30, tzinfo=UTC)
    fired = latest_fire(when, ctx, fall_back)
    assert fired is not None and fall_back - fired < timedelta(minutes=every)


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize(
    "entry", ["mon 09:00", "weekdays 17:00", "daily 03:30", "daily 00:00", "sat,sun 23:45"]
)
def test_a_weekly_or_daily_job_last_fired_where_its_cron_trigger_says(
    loaded_engine: Engine, fake_slack: FakeSlack, zone: str, entry: str
) -> None:
    """Counted on the calendar: a time the trigger fires at, with no firing between it and
    the moment asked about, across both nights the clocks change."""
    ctx = replace(job_context(loaded_engine, fake_slack), zone=ZoneInfo(zone))
    when = parse_when(entry)
    cron = trigger(when, ctx)
    moment = datetime(2026, 3, 1, 0, 0, 30, tzinfo=UTC)
    while moment < datetime(2026, 11, 10, tzinfo=UTC):
        fired = latest_fire(when, ctx, moment)
        assert fired is not None and fired <= moment
        assert cron.get_next_fire_time(None, fired) == fired, (moment, fired)
        assert cron.get_next_fire_time(None, fired + timedelta(seconds=1)) > moment, moment
        moment += timedelta(hours=5, minutes=47)


def test_a_time_a_zone_skips_fires_just_after_the_skip(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    """Havana puts its clocks forward at midnight: "daily 00:00" that day fires at 01:00."""
    ctx = replace(job_context(loaded_engine, fake_slack), zone=ZoneInfo("America/Havana"))
    fired = latest_fire(parse_when("daily 00:00"), ctx, datetime(2026, 3, 8, 12, tzinfo=UTC))
    assert fired == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 01:00 CDT, the first after 00:00 CST


def test_the_clock_runs_the_email_job_only_where_email_is_on(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    """Every minute for every partnership: none of it where there is no SMTP server."""
    off = job_context(loaded_engine, fake_slack)
    mailing = Mailing(
        "a-secret-long-enough-for-links", "http://localhost:3000", "bot@x.org", LONDON
    )
    on = replace(off, smtp_url="smtp://127.0.0.1:2525", mailing=mailing)
    assert "email" not in clock_jobs(off) and set(clock_jobs(on)) == set(JOBS)
    assert "email@1" in {job.id for job in Clock(on).scheduler.get_jobs()} | {
        f"email@{p}" for p in Clock(on).plan()
    }
    assert run_job("email", off, MONDAY_9).startswith("email is off")  # asked for, it says so
