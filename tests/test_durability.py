"""Acknowledged means kept: the real bot under gunicorn, killed and started again.

`partnerbot web` runs as the Procfile runs it, in a process group of its own (the gunicorn
master and its workers), its Web API calls going to the fake Slack in this process. Slash
commands are acknowledged, the server dies (SIGKILL) or is stopped (SIGTERM) while the work
after the acknowledgements is still in flight, and a new server is started on the same
database. Every acknowledged update must then be saved exactly once and posted exactly once;
or, where its post was in flight when the process died, its author told that Slack didn't
confirm it (with a Post it again button), and the update in the channel at most once.

Nothing is timed: each wait polls against a deadline, and the assertions are about what was
kept, posted and said. Whatever happens, no server process outlives its test.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.fakeslack import FakeSlack
from bot.fakeslack.driver import Reply, SlackDriver
from bot.models import PartnerUpdate
from bot.services.directory import Directory, Profile
from tests.conftest import BOT_TOKEN, ROOT, SIGNING_SECRET
from tests.helpers import free_port

USERS = [f"U0DUR{n:03d}" for n in range(10)]
ORGANISATION = "HRS"
CHANNEL = "#partnership-updates"
TYPED_IN = "C0GENERAL"  # where the driver's commands come from, so where replies to them show
UNSURE = "didn't confirm"
WORKERS = 2
STARTUP = 60.0  # seconds for `partnerbot web` to answer /healthz
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL when the test stops a server
# Variables of the test's own environment that must not reach the server.
NOT_INHERITED = (
    "SLACK_", "DATABASE_", "PARTNERSHIP_", "PARTNERBOT_", "WEB_CONCURRENCY", "PORT",
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "XDG_RUNTIME_DIR",
)  # fmt: skip


# The server, as the Procfile runs it ----------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes in process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the master leads its own group

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Servers:
    """Starts `partnerbot web`; whatever is still running at teardown is killed, group and all."""

    directory: Path
    fake: FakeSlack
    database_url: str
    started: list[Server] = field(default_factory=list)

    def start(self, port: int | None = None) -> Server:
        port = port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
        env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.fake.base_url, "DATABASE_URL": self.database_url,
            "PORT": str(port), "WEB_CONCURRENCY": str(WORKERS), "PYTHONPATH": str(ROOT),
            # gunicorn's control socket goes here, not to the one ~/.gunicorn/gunicorn.ctl that
            # every other gunicorn on the machine (a benchmark, another test) would share.
            "XDG_RUNTIME_DIR": str(self.directory),
        }  # fmt: skip
        log = self.directory / f"server-{len(self.started) + 1}.log"
        with log.open("wb") as output:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "web"], env=env, cwd=self.directory,
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        server = Server(process, port, log)
        self.started.append(server)
        wait_healthy(server)
        return server

    def kill(self, server: Server) -> None:
        """SIGKILL the master and every worker at once, and wait until none is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pgid, signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while group_members(server.pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not group_members(server.pgid), "server processes survived SIGKILL"

    def wait_exit(self, server: Server, timeout: float) -> bool:
        """Whether the master and its workers have all exited within `timeout` seconds."""
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        deadline = time.monotonic() + 5  # the master waits for its workers; a moment's slack
        while group_members(server.pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return not group_members(server.pgid)

    def stop(self, server: Server) -> None:
        """SIGTERM, as a platform stops a dyno; SIGKILL what is left after STOP_GRACE."""
        if server.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.process.pid, signal.SIGTERM)
        if not self.wait_exit(server, STOP_GRACE):
            self.kill(server)

    def close(self) -> None:
        for server in self.started:
            if server.process.poll() is None or group_members(server.pgid):
                self.kill(server)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"partnerbot web exited ({server.process.returncode}):\n{server.log_tail()}"
            )
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError(f"partnerbot web did not answer /healthz in {STARTUP}s")


@pytest.fixture
def servers(tmp_path: Path, fake_slack: FakeSlack, database_url: str) -> Iterator[Servers]:
    running = Servers(tmp_path, fake_slack, database_url)
    try:
        yield running
    finally:
        running.close()
        fake_slack.latency = 0.0


# What became of each update ------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One acknowledged `/update <text>`: the number that makes its text unique, and its author."""

    number: int
    author: str


@dataclass
class Fate:
    rows: list[int]  # the PartnerUpdate ids saved with its text
    posted: int  # channel messages showing it
    told: bool  # its author was told Slack didn't confirm the post

    @property
    def settled(self) -> bool:
        saved_once = len(self.rows) == 1
        return saved_once and (self.posted == 1 or (self.told and self.posted <= 1))

    @property
    def duplicated(self) -> bool:
        return len(self.rows) > 1 or self.posted > 1


def members(engine: Engine, fake: FakeSlack) -> None:
    directory = Directory(engine)
    for user in USERS:
        fake.add_user(user, f"Durable {user}")
        directory.join(user, ORGANISATION, lambda _, u=user: Profile(u))


def text_of(prefix: str, number: int) -> str:
    return f"{prefix} {number}"


def button_values(message: dict[str, Any]) -> set[str]:
    return {
        str(element.get("value"))
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    }


def unsure_notes(fake: FakeSlack, author: str) -> list[set[str]]:
    """The button values of each "Slack didn't confirm" note the author was given: a reply to
    their command (its response URL), an ephemeral message or a DM."""
    seen = fake.ephemeral_messages(author, TYPED_IN) + fake.messages(author)
    return [
        button_values(message)
        for message in seen
        if UNSURE in json.dumps(message, ensure_ascii=False).replace("’", "'")
    ]


def fates(engine: Engine, fake: FakeSlack, prefix: str, sent: list[Sent]) -> dict[Sent, Fate]:
    pattern = re.compile(re.escape(prefix) + r" (\d+)(?!\d)")
    with Session(engine) as session:
        saved = session.exec(
            select(PartnerUpdate.id, PartnerUpdate.text).where(
                col(PartnerUpdate.text).startswith(prefix + " ")
            )
        ).all()
    rows: dict[int, list[int]] = {}
    for row_id, text in saved:
        if (match := pattern.fullmatch(text)) and row_id is not None:
            rows.setdefault(int(match.group(1)), []).append(row_id)
    posted = Counter(
        number
        for message in fake.messages(CHANNEL)
        for number in {int(n) for n in pattern.findall(json.dumps(message, ensure_ascii=False))}
    )
    by_author = Counter(s.author for s in sent)
    notes = {author: unsure_notes(fake, author) for author in by_author}
    result = {}
    for s in sent:
        ids = rows.get(s.number, [])
        named = any(str(row_id) in values for values in notes[s.author] for row_id in ids)
        # An author who sent only this one update was told about it, whatever the button says.
        told = named or (by_author[s.author] == 1 and bool(notes[s.author]))
        result[s] = Fate(ids, posted[s.number], told)
    return result


def summary(found: dict[Sent, Fate]) -> str:
    values = list(found.values())
    return (
        f"{sum(f.posted == 1 for f in values)} posted, "
        f"{sum(f.told for f in values)} authors told, "
        f"{sum(len(f.rows) == 1 for f in values)} saved, "
        f"{sum(not f.rows for f in values)} not saved, "
        f"{sum(f.duplicated for f in values)} duplicated (of {len(values)})"
    )


def wait_until_settled(
    engine: Engine, fake: FakeSlack, prefix: str, sent: list[Sent], timeout: float
) -> dict[Sent, Fate]:
    """Poll until every update is settled or one is duplicated (which is for good); once all
    are settled, watch a little longer (more than one sweep for unfinished work, every 5 s) for
    a late duplicate."""
    deadline = time.monotonic() + timeout
    settled_at: float | None = None
    while True:
        found = fates(engine, fake, prefix, sent)
        if any(f.duplicated for f in found.values()):
            return found
        if all(f.settled for f in found.values()):
            settled_at = settled_at or time.monotonic()
            if time.monotonic() - settled_at > 6.0:
                return found
        elif time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def assert_kept_once(found: dict[Sent, Fate], fake: FakeSlack, server: Server) -> None:
    """No update saved or posted twice; none acknowledged and then lost."""
    duplicated = {s.number: f for s, f in found.items() if f.duplicated}
    unsettled = {s.number: f for s, f in found.items() if not f.settled}
    posts = Counter(c.ok for c in fake.calls_to("chat.postMessage"))
    where = (
        f"{summary(found)}; chat.postMessage calls ok/not: {posts[True]}/{posts[False]}, "
        f"channel messages: {len(fake.messages(CHANNEL))}\nlast server log:\n{server.log_tail()}"
    )
    assert not duplicated, f"saved or posted more than once: {duplicated}; {where}"
    assert not unsettled, (
        f"acknowledged but neither saved and posted once nor its author told: {unsettled}; {where}"
    )


# The tests -------------------------------------------------------------------------------------


def test_acknowledged_updates_survive_sigkill(
    loaded_engine: Engine, fake_slack: FakeSlack, servers: Servers
) -> None:
    prefix = "Durable update number"
    members(loaded_engine, fake_slack)
    first = servers.start()
    slack = SlackDriver(first.events_url, SIGNING_SECRET, fake_slack)
    sent = [Sent(number, user) for number, user in enumerate(USERS)]
    fake_slack.latency = 3.0  # Slack is slow: the work after each acknowledgement is in flight

    def command(s: Sent) -> Reply:
        return slack.command("/update", text_of(prefix, s.number), user_id=s.author)

    with ThreadPoolExecutor(len(sent)) as pool:
        replies = list(pool.map(command, sent))
    acknowledged = time.monotonic()
    servers.kill(first)
    killed_after = time.monotonic() - acknowledged
    before = fates(loaded_engine, fake_slack, prefix, sent)
    assert [r.status for r in replies] == [200] * len(sent), replies

    fake_slack.latency = 0.0
    second = servers.start(first.port)
    try:
        after = wait_until_settled(loaded_engine, fake_slack, prefix, sent, timeout=60)
        print(
            f"\nSIGKILL {killed_after:.2f}s after the last of {len(sent)} acknowledgements; "
            f"at the kill: {summary(before)}; after the restart: "
            f"{sum(f.posted == 1 and not f.told for f in after.values())} done, "
            f"{sum(f.told for f in after.values())} told; {summary(after)}"
        )
        assert_kept_once(after, fake_slack, second)
    finally:
        servers.stop(second)


def test_acknowledged_updates_survive_sigterm_under_load(
    loaded_engine: Engine, fake_slack: FakeSlack, servers: Servers
) -> None:
    prefix = "Durable load update number"
    per_user = 20
    members(loaded_engine, fake_slack)
    first = servers.start()
    slack = SlackDriver(first.events_url, SIGNING_SECRET, fake_slack)
    sent = [Sent(number, USERS[number % len(USERS)]) for number in range(per_user * len(USERS))]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    fake_slack.latency = 0.3

    def send_all(author: str) -> None:
        for s in sent:
            if s.author == author:
                reply = slack.command("/update", text_of(prefix, s.number), user_id=author)
                with lock:
                    statuses[s.number] = reply.status

    started = time.monotonic()
    with ThreadPoolExecutor(len(USERS)) as pool:
        list(pool.map(send_all, USERS))
    sending = time.monotonic() - started
    os.kill(first.process.pid, signal.SIGTERM)  # the master: gunicorn's graceful stop
    at_stop = fates(loaded_engine, fake_slack, prefix, sent)
    stopping = time.monotonic()
    exited = servers.wait_exit(first, 45)
    stopped_in = time.monotonic() - stopping
    assert exited, f"gunicorn did not stop within 45 s of SIGTERM:\n{first.log_tail()}"
    refused = {n: status for n, status in statuses.items() if status != 200}
    assert not refused and len(statuses) == len(sent), f"not acknowledged: {refused}"
    at_exit = fates(loaded_engine, fake_slack, prefix, sent)

    fake_slack.latency = 0.0
    second = servers.start(first.port)
    try:
        after = wait_until_settled(loaded_engine, fake_slack, prefix, sent, timeout=90)
        print(
            f"\n{len(sent)} acknowledged in {sending:.1f}s; at SIGTERM: {summary(at_stop)}; "
            f"stopped in {stopped_in:.1f}s: {summary(at_exit)}; after the restart: "
            f"{summary(after)}"
        )
        assert_kept_once(after, fake_slack, second)
    finally:
        servers.stop(second)
