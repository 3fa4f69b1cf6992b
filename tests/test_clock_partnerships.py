"""One deployment, many partnerships: the clock runs every job for each partnership, on its own
schedule, in its own zone, with its own workspace's token, to its own people; one partnership's
failure or slow Slack holds up no other; and the command line says which partnership it means.

Two partnerships, each its own Slack workspace installed through OAuth: Riverside (1, the
sample file, London, digest Monday 09:00) and Northside (2, New York, digest Monday 10:00 there,
15:00 in London). Every test serves many partnerships, so work that forgot its partnership
fails instead of falling back to the first.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from bot.__main__ import main
from bot.config import Settings
from bot.db import session_scope
from bot.fakeslack import APP_ID, CLIENT_ID, CLIENT_SECRET, FakeSlack
from bot.fakeslack.state import Call
from bot.models import (
    Delivery,
    Draft,
    JobRun,
    Member,
    Organisation,
    Partnership,
    PartnerUpdate,
    slack_bots,
)
from bot.partnership_scope import in_partnership, serve_many
from bot.scoping import across_partnerships
from bot.services.gate import trusted
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    parse_partnership,
)
from jobs.clock import Clock, catch_up_for, job_client, run_job, sweep_drafts
from jobs.context import JobContext
from jobs.registry import JOBS
from tests.conftest import MEMBER
from tests.helpers import DIGEST_CHANNEL, LONDON, MONDAY_9, shown

RIVERSIDE, NORTHSIDE = 1, 2
RIVER_TEAM, NORTH_TEAM = "T0RIVER", "T0NORTH"
TOKENS = {RIVERSIDE: "xoxb-river", NORTHSIDE: "xoxb-north"}
NORTH_CHANNEL = "#north-digest"
NORTH_MEMBER = "U0NTHMEMBER"
NEWS = {RIVERSIDE: "Saturday drop-in for young people", NORTHSIDE: "Northside ESOL club moves"}
STATE_SECRET = "a-state-secret-long-enough"
NORTHSIDE_LONDON = MONDAY_9.replace(hour=15)  # Monday 10:00 in New York: Northside's digest


def northside_file() -> str:
    """The sample file made Northside's: its own people, channels, zone and digest time."""
    text = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8")
    for old, new in (
        ("U0000", "U0NTH"),
        ("#partnership-", "#north-"),
        ('name = "Riverside Refugee and Care Leavers Partnership"', 'name = "Northside"'),
        ('# timezone = "Europe/London"', 'timezone = "America/New_York"'),
        ('digest = "mon 09:00"', 'digest = "mon 10:00"'),
    ):
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.fixture
def two_partnerships(loaded_engine: Engine, fake_slack: FakeSlack) -> Iterator[Engine]:
    """Riverside and Northside installed, each with news this week and a member who takes the
    digest by DM; serving many partnerships until the test ends."""
    with session_scope(loaded_engine) as session:
        riverside = session.get_one(Partnership, RIVERSIDE)
        riverside.slack_team_id = RIVER_TEAM
        session.add(riverside)
        session.add(Partnership(id=NORTHSIDE, name="Northside", slack_team_id=NORTH_TEAM))
    with in_partnership(NORTHSIDE):
        apply_partnership(loaded_engine, parse_partnership(northside_file(), jobs=JOBS))
    for partnership, member in ((RIVERSIDE, MEMBER), (NORTHSIDE, NORTH_MEMBER)):
        with in_partnership(partnership), session_scope(loaded_engine) as session:
            harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
            session.add(Member(slack_user_id=member, digest_dm=True))
            session.add(
                PartnerUpdate(
                    organisation_id=harbour.id, author_id=member, text=trusted(NEWS[partnership]),
                    created_at=MONDAY_9.astimezone(UTC) - timedelta(days=1),
                )
            )  # fmt: skip
    with loaded_engine.begin() as connection:
        for team, token in ((RIVER_TEAM, TOKENS[RIVERSIDE]), (NORTH_TEAM, TOKENS[NORTHSIDE])):
            connection.execute(
                insert(slack_bots).values(
                    client_id=CLIENT_ID, app_id=APP_ID, team_id=team, bot_token=token
                )
            )
    fake_slack.add_user(NORTH_MEMBER, "Nia North")
    serve_many()
    try:
        yield loaded_engine
    finally:
        serve_many(False)


def oauth(fake: FakeSlack) -> Settings:
    return Settings(
        slack_api_url=fake.base_url, slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET, slack_state_secret=STATE_SECRET,
    )  # fmt: skip


def clock_context(engine: Engine, fake: FakeSlack) -> JobContext:
    """The clock's own: its Slack client uses the token of each partnership's workspace."""
    return JobContext(engine, LONDON, job_client(oauth(fake), engine))


def posts(fake: FakeSlack, partnership: int) -> list[Call]:
    """The messages Slack took with the partnership's workspace's token."""
    return [c for c in fake.calls_to("chat.postMessage") if c.ok and c.token == TOKENS[partnership]]


def digest_runs(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        return sorted(
            session.exec(
                select(JobRun.partnership_id, JobRun.period)
                .where(JobRun.job == "digest")
                .execution_options(**across_partnerships)
            ).all()
        )


def run_catch_up(clock: Clock, now: datetime, partnerships: set[int]) -> None:
    """What the clock does every five minutes, through its own thread pool, as if at `now`:
    until the catch-up of each of `partnerships` is over."""
    waiting = {f"catch-up@{partnership}" for partnership in partnerships}
    over = threading.Event()

    def finished(event: JobExecutionEvent) -> None:
        waiting.discard(event.job_id)
        if not waiting:
            over.set()

    clock.scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    clock.catch_up(now)
    running = threading.Thread(target=clock.scheduler.start)
    running.start()
    try:
        assert over.wait(30), f"{waiting} not over"
    finally:
        clock.scheduler.shutdown(wait=True)
        running.join(10)


def test_each_partnership_has_its_jobs_on_its_own_schedule_in_its_own_zone(
    two_partnerships: Engine, fake_slack: FakeSlack
) -> None:
    clock = Clock(clock_context(two_partnerships, fake_slack))
    assert clock.plan() == [RIVERSIDE, NORTHSIDE]
    jobs = {job.id: repr(job.trigger) for job in clock.scheduler.get_jobs()}
    assert set(jobs) == {
        f"{name}@{partnership}"
        for name in JOBS
        if name != "email"  # email is off: nothing for the job to send
        for partnership in (RIVERSIDE, NORTHSIDE)
    } | {"catch-up", "drafts"}
    assert "hour='9'" in jobs["digest@1"] and "'Europe/London'" in jobs["digest@1"]
    assert "hour='10'" in jobs["digest@2"] and "'America/New_York'" in jobs["digest@2"]


def test_each_partnership_gets_its_own_digest_once_with_its_own_token(
    two_partnerships: Engine, fake_slack: FakeSlack
) -> None:
    """Each digest goes to its own channel and people, when its own zone says; Slack failing
    for one leaves its run for the next catch-up and takes nothing from the other; a claim is
    one per job, partnership and period however often the catch-up runs."""
    jobs = clock_context(two_partnerships, fake_slack)
    at_two = NORTHSIDE_LONDON - timedelta(minutes=30)  # 09:30 in New York
    assert "digest: 2026-W48: 2 sent" in catch_up_for(RIVERSIDE, jobs, at_two)
    assert not any(line.startswith("digest") for line in catch_up_for(NORTHSIDE, jobs, at_two))

    fake_slack.fail_next("chat.postMessage", status=500, count=6)  # Northside's, and retries
    later = NORTHSIDE_LONDON + timedelta(minutes=30)
    left = catch_up_for(NORTHSIDE, jobs, later)
    assert "digest: 2026-W48: 0 sent, 2 left for the next run (Slack busy)" in left, left
    # A week done is passed over, not run again to find its claim taken.
    assert not any(line.startswith("digest") for line in catch_up_for(RIVERSIDE, jobs, later))
    resumed = catch_up_for(NORTHSIDE, jobs, later + timedelta(minutes=5))
    assert "digest: 2026-W48: resumed: 2 sent" in resumed, resumed
    for partnership in (RIVERSIDE, NORTHSIDE):
        again = catch_up_for(partnership, jobs, later + timedelta(minutes=10))
        assert not any(line.startswith("digest") for line in again), again

    assert digest_runs(two_partnerships) == [(RIVERSIDE, "2026-W48"), (NORTHSIDE, "2026-W48")]
    assert sorted(c.args["channel"] for c in posts(fake_slack, RIVERSIDE)) == sorted(
        [DIGEST_CHANNEL, MEMBER]
    )
    assert sorted(c.args["channel"] for c in posts(fake_slack, NORTHSIDE)) == sorted(
        [NORTH_CHANNEL, NORTH_MEMBER]
    )
    for partnership, other in ((RIVERSIDE, NORTHSIDE), (NORTHSIDE, RIVERSIDE)):
        for post in posts(fake_slack, partnership):
            assert NEWS[partnership] in shown(post.args)
            assert NEWS[other] not in shown(post.args)


def test_one_partnerships_slow_slack_holds_up_no_other(
    two_partnerships: Engine, fake_slack: FakeSlack
) -> None:
    """Slack answers the first message either partnership sends three seconds late; the
    other's whole digest is sent meanwhile (one after the other, it would wait)."""
    fake_slack.stall_next("chat.postMessage", 3.0)
    clock = Clock(clock_context(two_partnerships, fake_slack))
    run_catch_up(clock, NORTHSIDE_LONDON + timedelta(minutes=5), {RIVERSIDE, NORTHSIDE})
    with Session(two_partnerships) as session:
        sent = session.exec(
            select(Delivery.partnership_id, Delivery.updated_at)
            .where(Delivery.status == "sent")
            .execution_options(**across_partnerships)
        ).all()
    assert sorted(partnership for partnership, _ in sent) == [1, 1, 2, 2]
    slowed, answered = max(sent, key=lambda delivery: delivery.updated_at)
    others = [at for partnership, at in sent if partnership != slowed]
    assert all(at < answered - timedelta(seconds=2) for at in others), (slowed, sent)


def test_one_partnerships_failure_stops_no_other(
    two_partnerships: Engine, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Riverside's schedule cannot be read (a hand edit gone wrong): it is logged with its
    partnership, and Northside's jobs run as ever."""
    with in_partnership(RIVERSIDE), session_scope(two_partnerships) as session:
        riverside = session.get_one(Partnership, RIVERSIDE)
        riverside.schedule = '{"jobs": {"digest": "funday 09:00"}}'
        session.add(riverside)
    clock = Clock(clock_context(two_partnerships, fake_slack))
    with caplog.at_level(logging.ERROR, logger="partnerbot.clock"):
        run_catch_up(clock, NORTHSIDE_LONDON + timedelta(minutes=5), {NORTHSIDE})
        assert catch_up_for(RIVERSIDE, clock.context) == []
    assert [r.getMessage() for r in caplog.records if r.name == "partnerbot.clock"] == [
        "partnership 1: its schedule could not be read; the next catch-up will try again",
        "partnership 1: catch-up failed; the next will try again",
    ]
    assert not any(job.id.endswith("@1") for job in clock.scheduler.get_jobs())
    assert len(posts(fake_slack, NORTHSIDE)) == 2 and not posts(fake_slack, RIVERSIDE)
    assert digest_runs(two_partnerships) == [(NORTHSIDE, "2026-W48")]


def test_a_partnership_installed_or_rescheduled_while_the_clock_runs_is_planned_at_catch_up(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    """No restart: the next catch-up gives a new partnership its jobs (and its catch-up) and
    moves the jobs whose time its file changed."""
    serve_many()
    try:
        clock = Clock(clock_context(loaded_engine, fake_slack))
        assert clock.plan() == [RIVERSIDE]
        with in_partnership(NORTHSIDE), session_scope(loaded_engine) as session:
            session.add(Partnership(id=NORTHSIDE, name="Northside", slack_team_id=NORTH_TEAM))
        with in_partnership(NORTHSIDE):
            apply_partnership(loaded_engine, parse_partnership(northside_file(), jobs=JOBS))
        tuesdays = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8").replace(
            'digest = "mon 09:00"', 'digest = "tue 11:00"'
        )
        with in_partnership(RIVERSIDE):
            apply_partnership(loaded_engine, parse_partnership(tuesdays, jobs=JOBS))
        clock.catch_up()
        jobs = {job.id: repr(job.trigger) for job in clock.scheduler.get_jobs()}
    finally:
        serve_many(False)
    northsides = {f"{name}@2" for name in JOBS if name != "email"}  # email is off
    assert northsides | {"catch-up@1", "catch-up@2"} <= set(jobs)
    assert "day_of_week='tue', hour='11'" in jobs["digest@1"]
    assert "'America/New_York'" in jobs["digest@2"]


# The command line names the partnership by its workspace ------------------------------------


@pytest.fixture
def command_line(
    two_partnerships: Engine,
    database_url: str,
    fake_slack: FakeSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`partnerbot` as an OAuth deployment runs it, on the test's database, in an empty folder."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "DATABASE_", "PARTNER", "SMTP_", "EMAIL_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": database_url, "SLACK_API_URL": fake_slack.base_url,
        "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_STATE_SECRET": STATE_SECRET,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def partnerbot(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `partnerbot ARGS` in this process: its exit code, what it printed and what it said."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_job_runs_for_the_partnership_of_the_team_it_names(
    command_line: None, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A time without a zone is the partnership's: 12:00 is after Northside's 10:00 digest in
    New York (12:00 in London would be 07:00 there, before it)."""
    code, out, err = partnerbot(
        capsys, "run-job", "digest", "--team", NORTH_TEAM, "--now", "2026-11-23T12:00"
    )
    assert (code, out) == (0, "2026-W48: 2 sent\n"), err
    assert sorted(c.args["channel"] for c in posts(fake_slack, NORTHSIDE)) == sorted(
        [NORTH_CHANNEL, NORTH_MEMBER]
    )
    assert not posts(fake_slack, RIVERSIDE)


def test_config_load_and_export_are_the_named_partnerships(
    command_line: None, two_partnerships: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = Path("northside.toml")
    renamed.write_text(northside_file().replace('"Northside"', '"Northside Together"'))
    code, out, err = partnerbot(capsys, "config", "load", str(renamed), "--team", NORTH_TEAM)
    assert code == 0 and out.startswith("loaded northside.toml: changes made"), err
    code, out, _ = partnerbot(capsys, "config", "export", "--team", NORTH_TEAM)
    assert code == 0 and 'name = "Northside Together"' in out
    assert 'timezone = "America/New_York"' in out
    assert re.search(r"\(E[SD]T\) from", out.splitlines()[0])  # the header's time, New York's
    code, out, _ = partnerbot(capsys, "config", "export", "--team", RIVER_TEAM)
    assert 'name = "Riverside Refugee and Care Leavers Partnership"' in out
    assert "timezone" not in out


def test_a_team_no_partnership_has_is_one_clear_line(
    command_line: None, capsys: pytest.CaptureFixture[str]
) -> None:
    told = (
        "partnerbot: no partnership has installed workspace T0NOBODY: install Partnerbot there "
        "first (/slack/install)\n"
    )
    for args in (("run-job", "digest", "--dry-run"), ("config", "export")):
        assert partnerbot(capsys, *args, "--team", "T0NOBODY") == (2, "", told)


def test_with_several_partnerships_a_command_must_name_one(
    command_line: None, capsys: pytest.CaptureFixture[str]
) -> None:
    told = (
        "partnerbot: this deployment serves 2 partnerships: say which with --team and its Slack "
        "workspace's team id:\n"
        "partnerbot:   T0RIVER: Riverside Refugee and Care Leavers Partnership\n"
        "partnerbot:   T0NORTH: Northside\n"
        "partnerbot: a workspace's team id is in its address in a browser: "
        "app.slack.com/client/T…/…\n"
    )
    for args in (("run-job", "digest", "--dry-run"), ("config", "load", "p.toml")):
        assert partnerbot(capsys, *args) == (2, "", told)


def test_housekeeping_forgets_its_own_drafts_and_the_clocks_sweep_every_partnerships(
    two_partnerships: Engine, fake_slack: FakeSlack
) -> None:
    held_at = MONDAY_9.astimezone(UTC) - timedelta(days=2)
    for partnership in (RIVERSIDE, NORTHSIDE):
        with in_partnership(partnership), session_scope(two_partnerships) as session:
            session.add(Draft(author_id=MEMBER, text="held", created_at=held_at))
    jobs = clock_context(two_partnerships, fake_slack)
    with in_partnership(RIVERSIDE):
        summary = run_job("housekeeping", jobs, MONDAY_9)
    assert "and 1 held drafts older than a day" in summary
    with in_partnership(NORTHSIDE), Session(two_partnerships) as session:
        assert len(session.exec(select(Draft)).all()) == 1  # Northside's is its own to forget
    assert sweep_drafts(jobs, MONDAY_9) == 1  # the clock's sweep, across partnerships
