"""Acknowledgement latency, memory and start-up, measured (a benchmark that prints a table).

The bot runs under gunicorn exactly as the Procfile runs it (`partnerbot web`), on PostgreSQL,
beside a bare Bolt app that only acknowledges (bench/bare_app.py) under the same server
settings. Both get the same signed requests from 20 concurrent clients; the fake Slack adds
150 ms to every Web API call, as the real Slack does from a UK server, so a call made before
`ack()` would show. The timed clients run in a process of their own (bench/load.py), so that
the fake's CPU work, done under this process's GIL, is not counted as the bot's latency; and
the fake answers at a lower CPU priority (nice +10), as Slack's servers are not on this machine.
Clients sending back to back offer more work than two cores can do, so the bot's work after
acknowledging queues: the table says how long after the last acknowledgement it was all done.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.ack
    ... -m bench.ack --requests 300                     # a first look
    ... -m bench.ack --oauth                            # the bot installed through OAuth

With `--oauth` the bot serves many workspaces (SLACK_CLIENT_ID instead of a bot token), its
workspace installed through the real flow against the fake Slack: each request is then
authorised from the stored installation and its workspace's partnership looked up before the
acknowledgement (bot/slack/tenancy.py), which the table then includes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from bench.common import database, machine_speed
from bench.load import BUSY, FORM, Job, Loaded
from bot.fakeslack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from bot.fakeslack.signing import signature_headers
from bot.playground.workspaces import install
from bot.services.directory import Directory, Profile
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from jobs.registry import JOBS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CLIENTS = 20
ALONE = 50  # requests of each kind from a single client first: the unloaded figure
REPLY_SAMPLES = 10  # requests of each kind timed from command to reply, one at a time
SLACK_LATENCY = 0.150
WORKERS = "2"  # the machine's cores; WEB_CONCURRENCY, as the Procfile host would set
USERS = [f"UBENCH{n:03d}" for n in range(CLIENTS)]
CODES = ("HRS", "NCL", "NRH", "BHA", "KYT", "SPL")
TEAM = "T0FAKE"  # the workspace every request comes from


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_body(fake: FakeSlack, user: str, command: str, text: str) -> str:
    return urllib.parse.urlencode(
        {"token": "x", "team_id": TEAM, "team_domain": "bench", "channel_id": "C0BENCH",
         "channel_name": "bench", "user_id": user, "user_name": user.lower(), "command": command,
         "text": text, "api_app_id": "A0PARTNERBOT", "is_enterprise_install": "false",
         "response_url": fake.new_response_url(), "trigger_id": fake.new_trigger_id()}
    )  # fmt: skip


def click_body(fake: FakeSlack, user: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "team": {"id": TEAM, "domain": "bench"}, "api_app_id": "A0PARTNERBOT",
        "token": "x", "trigger_id": fake.new_trigger_id(),
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0BENCH",
                      "is_ephemeral": True},
        "channel": {"id": "C0BENCH", "name": "bench"}, "message": {"type": "message", "ts": "1.1"},
        "response_url": fake.new_response_url(), "state": {"values": {}},
        "actions": [{"action_id": "update_more", "block_id": "b", "type": "button",
                     "value": json.dumps({"kind": "search", "q": "drop-in", "page": 2}),
                     "action_ts": "1.2"}],
    }  # fmt: skip
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


REQUESTS: dict[str, Callable[[FakeSlack, str], str]] = {
    "/partners help": lambda f, u: command_body(f, u, "/partners", "help"),
    "/update <text>": lambda f, u: command_body(
        f, u, "/update", "We've opened a Saturday drop-in for young people"
    ),
    "/update search": lambda f, u: command_body(f, u, "/update", "search drop-in"),
    "/hotdesk free": lambda f, u: command_body(f, u, "/hotdesk", "free"),
    "/hotdesk book": lambda f, u: command_body(f, u, "/hotdesk", "book KYT next thu am"),
    "/opportunity list": lambda f, u: command_body(f, u, "/opportunity", "list"),
    "block_actions click": click_body,
}


def bodies(
    fake: FakeSlack, per_kind: int, clients: int, kinds: tuple[str, ...] = tuple(REQUESTS)
) -> list[list[tuple[str, str]]]:
    """Each client's requests, every kind in turn, made here because they need the fake's
    response URLs and trigger ids. (A trigger id expires 3 s after it is made, but none of
    these requests opens a modal; a response URL lasts 30 minutes.)"""
    rounds = per_kind // clients + 1
    return [
        [(kind, REQUESTS[kind](fake, user)) for _ in range(rounds) for kind in kinds]
        for user in USERS[:clients]
    ]


def load(
    port: int,
    fake: FakeSlack,
    per_kind: int,
    clients: int,
    kinds: tuple[str, ...] = tuple(REQUESTS),
    rate: float | None = None,
) -> Loaded:
    """Clients on keep-alive connections, each sending every kind in turn, back to back or at
    `rate` requests a second in all, from a process of their own (bench/load.py): not timed
    under the fake Slack's GIL."""
    job: Job = {"port": port, "secret": SECRET, "clients": bodies(fake, per_kind, clients, kinds)}
    if rate:
        job["rate"] = rate
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"], input=json.dumps(job), capture_output=True,
        text=True, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.load exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout)


def reply_times(port: int, fake: FakeSlack) -> dict[str, float]:
    """Command to reply, one request at a time: from sending it to the fake Slack receiving the
    bot's answer through the response URL (the work done, its own Slack calls made)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    medians = {}
    for kind, make in REQUESTS.items():
        times = []
        for n in range(REPLY_SAMPLES):
            body = make(fake, USERS[n % CLIENTS])
            seen = len(fake.calls_to("response_url"))
            started = time.perf_counter()
            headers = {"Content-Type": FORM, **signature_headers(SECRET, body)}
            connection.request("POST", "/slack/events", body, headers)
            connection.getresponse().read()
            fake.wait_for("response_url", count=seen + 1, timeout=30)
            times.append(time.perf_counter() - started)
        medians[kind] = statistics.median(times)
    connection.close()
    return medians


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({process.returncode})")
        try:
            host, _, rest = url.removeprefix("http://").partition("/")
            connection = http.client.HTTPConnection(*host.split(":"), timeout=1)
            connection.request("GET", "/" + rest)
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1)  # the workers, after the master
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def settle(fake: FakeSlack, quiet: float = 2.0) -> float:
    """Wait until the fake Slack has had no call for `quiet` seconds; when the last came."""
    count, last = len(fake.calls), time.perf_counter()
    while time.perf_counter() - last < quiet:
        time.sleep(0.1)
        if len(fake.calls) != count:
            count, last = len(fake.calls), time.perf_counter()
    return last


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def prepare(engine: Engine) -> None:
    apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    directory = Directory(engine)
    for number, user in enumerate(USERS):
        directory.join(user, CODES[number % len(CODES)], lambda _, u=user: Profile(u))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--oauth", action="store_true", help="the bot installed through OAuth")
    arguments = parser.parse_args()
    per_kind, oauth = arguments.requests, arguments.oauth
    os.environ.setdefault("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with database() as engine, FakeSlack(latency=SLACK_LATENCY, niceness=10) as fake:
        backend = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
        prepare(engine)
        for user in USERS:
            fake.add_user(user, user)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base_url, "WEB_CONCURRENCY": WORKERS,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "PYTHONPATH": str(ROOT),
        }  # fmt: skip
        results, alone, memory, startup = {}, {}, {}, 0.0
        replies: dict[str, float] = {}
        rate: dict[str, float] = {}
        drained: dict[str, float] = {}
        mode = (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
             "SLACK_STATE_SECRET": "bench-state-secret-long-enough"}
            if oauth else {"SLACK_BOT_TOKEN": TOKEN}
        )  # fmt: skip
        for name in ("bot", "bare"):
            port = free_port()
            if name == "bot":
                argv = [sys.executable, "-m", "bot", "web"]
                mode["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
            else:
                argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
                        "--threads", "8", "--timeout", "30", "-w", WORKERS,
                        "-b", f"127.0.0.1:{port}", "bench.bare_app:create_wsgi_app()"]  # fmt: skip
            started = time.perf_counter()
            server = subprocess.Popen(
                argv, env={**env, **(mode if name == "bot" else {"SLACK_BOT_TOKEN": TOKEN}),
                           "PORT": str(port)}, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=ROOT,
            )  # fmt: skip
            try:
                if name == "bot":
                    wait_for(f"http://127.0.0.1:{port}/healthz", server)
                    startup = time.perf_counter() - started
                    if oauth:  # the first install takes the partnership prepared above
                        install(mode["PUBLIC_URL"], fake, engine, TEAM, USERS[0], "Bench")
                else:
                    wait_for_port(port, server)
                alone[name] = load(port, fake, ALONE, 1)["times"]
                settle(fake)
                if name == "bot":
                    replies = reply_times(port, fake)
                loaded = load(port, fake, per_kind, CLIENTS)
                results[name] = loaded["times"]
                sent = time.perf_counter()
                rate[name] = sum(map(len, results[name].values())) / (
                    loaded["ended"] - loaded["started"]
                )
                drained[name] = settle(fake) - sent
                memory[name] = [rss_mib(pid) for pid in children(server.pid)]
            finally:
                server.terminate()
                server.wait(timeout=60)
        clock = subprocess.Popen(
            [sys.executable, "-m", "bot", "clock"], env={**env, **mode}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(8)  # started, migrated, caught up
        clock_rss = rss_mib(clock.pid)
        clock.terminate()
        clock.wait(timeout=30)
    lines = [
        f"Acknowledgement latency: {CLIENTS} concurrent clients, {per_kind}+ requests of each "
        f"kind per app, fake Slack adding {SLACK_LATENCY * 1000:.0f} ms a call, gunicorn "
        f"gthread {WORKERS} workers × 8 threads, {backend}"
        + (", the bot installed through OAuth" if oauth else ""),
        "",
        "| request | bot median | bot p99 | bare median | bare p99 | median ratio "
        "| bot alone, median |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in REQUESTS:
        bot, bare = results["bot"][kind], results["bare"][kind]
        ratio = statistics.median(bot) / statistics.median(bare)
        figures = [
            statistics.median(bot), percentile(bot, 0.99),
            statistics.median(bare), percentile(bare, 0.99),
        ]  # fmt: skip
        shown = " | ".join(f"{seconds * 1000:.1f} ms" for seconds in figures)
        by_itself = statistics.median(alone["bot"][kind]) * 1000
        lines.append(f"| {kind} | {shown} | {ratio:.2f}× | {by_itself:.1f} ms |")
    busy = {kind: len(results["bot"].get(f"{BUSY}{kind}", [])) for kind in REQUESTS}
    offered = {kind: busy[kind] + len(results["bot"][kind]) for kind in REQUESTS}
    lines += [
        "",
        "Answered busy (not taken on, excluded above): "
        + ", ".join(f"{kind} {busy[kind]} of {offered[kind]}" for kind in REQUESTS)
        + ".",
        f"Requests acknowledged a second: bot {rate['bot']:.0f}, bare app {rate['bare']:.0f}. "
        f"The bot's work after acknowledging (replies, posts) was all done "
        f"{drained['bot']:.1f} s after the last acknowledgement.",
        f"Command to reply, one at a time (median of {REPLY_SAMPLES}; each of the work's own "
        "Slack calls 150 ms away): "
        + ", ".join(f"{kind} {seconds * 1000:.0f} ms" for kind, seconds in replies.items())
        + ".",
        f"Start-up, `partnerbot web` to the first 200 on /healthz: {startup:.2f} s",
        machine_speed(),
        "Resident memory after the run: web workers "
        + ", ".join(f"{mib:.0f} MiB" for mib in memory["bot"])
        + f" (bare app: {', '.join(f'{mib:.0f} MiB' for mib in memory['bare'])}); "
        f"clock {clock_rss:.0f} MiB",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
