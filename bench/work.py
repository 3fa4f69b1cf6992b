"""The work after the acknowledgement: CPU per command, and how many commands a second two
cores finish, for this code beside the code of an earlier revision, in one run.

CPU is read from the kernel (`/proc/<pid>/task/*/schedstat`, nanoseconds on the CPU) for the
web workers alone, around each command sent one at a time and waited for (its reply at the
fake Slack, then 30 ms for the bookkeeping after it). Throughput, the fake Slack 150 ms away:
20 clients send commands back to back for a while (more than two cores can do: most of what is
over the bound is answered "busy", which costs CPU too), then at steady rates for `--seconds`
each (as people send them, whatever the answers): the figure is replies delivered a second,
from the first command sent to the last reply (as the load process and the fake Slack saw
them), with the commands answered "busy" counted apart, and how long after the last command
the last reply came. A rate is sustained when none is answered busy and the last reply comes
within a moment of the last command.

    .venv/bin/python -m bench.work                       # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.work
    .venv/bin/python -m bench.work --baseline 942a80a    # against another revision
    .venv/bin/python -m bench.work --rates 100,150 --seconds 30
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from sqlalchemy import Engine

from bench.ack import (
    CLIENTS,
    REQUESTS,
    ROOT,
    SECRET,
    TOKEN,
    USERS,
    children,
    free_port,
    load,
    settle,
    wait_for,
)
from bench.common import database, machine_speed
from bench.load import BUSY, FORM
from bot.fakeslack import FakeSlack
from bot.fakeslack.signing import signature_headers

KINDS = ("/partners help", "/update search", "/hotdesk free", "block_actions click")
BASELINE = "cff13fa"  # before the read scopes and the lighter outbox
SAMPLES = 100  # commands of each kind timed one at a time
WARM_UP = 5
SETTLE = 0.03  # after the reply: the inbox and outbox marks that follow it


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The tree of `revision` in a temporary folder (git archive: no worktree left behind)."""
    tree = subprocess.run(
        ["git", "archive", revision], capture_output=True, check=True, cwd=ROOT
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=BytesIO(tree)) as archive:
            archive.extractall(folder, filter="data")
        yield Path(folder)


def prepared(tree: Path, engine: Engine) -> str:
    """The empty database migrated and seeded by `tree`'s own code (an earlier revision has
    fewer migrations, and knows none of the later ones); its URL."""
    url = engine.url.render_as_string(hide_password=False)
    seed = (
        "import sys; from bot.db import make_engine, upgrade; from bench.ack import prepare; "
        "engine = make_engine(sys.argv[1]); upgrade(engine); prepare(engine)"
    )
    subprocess.run(
        [sys.executable, "-c", seed, url], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
        check=True, capture_output=True,
    )  # fmt: skip
    return url


def cpu_ns(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except OSError:  # a thread that ended meanwhile
                continue
    return total


@contextmanager
def bot_server(
    tree: Path, fake: FakeSlack, url: str, workers: str
) -> Iterator[tuple[int, list[int]]]:
    """`partnerbot web` from `tree` under gunicorn: its port and its workers' pids."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.base_url,
        "WEB_CONCURRENCY": workers, "DATABASE_URL": url, "PYTHONPATH": str(tree),
        "PORT": str(port),
    }  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "web"], env=env, cwd=tree,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        time.sleep(1)  # every worker up
        yield port, children(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)


def cpu_per_command(tree: Path) -> dict[str, float]:
    """Median CPU milliseconds of the web worker per command, each kind sent one at a time."""
    with database(migrate=False) as engine, FakeSlack() as fake:
        url = prepared(tree, engine)
        for user in USERS:
            fake.add_user(user, user)
        with bot_server(tree, fake, url, "1") as (port, workers):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            medians = {}
            for kind in KINDS:
                samples = []
                for n in range(WARM_UP + SAMPLES):
                    body = REQUESTS[kind](fake, USERS[n % len(USERS)])
                    replies = len(fake.calls_to("response_url"))
                    before = cpu_ns(workers)
                    headers = {"Content-Type": FORM, **signature_headers(SECRET, body)}
                    connection.request("POST", "/slack/events", body, headers)
                    connection.getresponse().read()
                    fake.wait_for("response_url", count=replies + 1, timeout=30)
                    time.sleep(SETTLE)
                    if n >= WARM_UP:
                        samples.append((cpu_ns(workers) - before) / 1e6)
                medians[kind] = statistics.median(samples)
            connection.close()
    return medians


@dataclass(frozen=True)
class Flow:
    """How a load went: replies delivered a second (first command sent to last reply), the
    commands taken on and those answered busy, and how long after the last command was
    acknowledged its reply and every other came (the backlog left)."""

    replies_a_second: float
    taken: int
    busy: int
    drained: float


def throughput(tree: Path, per_kind: int, rate: float | None = None) -> Flow:
    """20 clients sending back to back, or at `rate` commands a second in all (Slack 150 ms
    away), to a fresh server and database."""
    with database(migrate=False) as engine, FakeSlack(latency=0.150, niceness=10) as fake:
        url = prepared(tree, engine)
        for user in USERS:
            fake.add_user(user, user)
        with bot_server(tree, fake, url, "2") as (port, _workers):
            loaded = load(port, fake, per_kind, CLIENTS, kinds=KINDS, rate=rate)
            last_reply = time.time() - (time.perf_counter() - settle(fake))
            times = loaded["times"]
        busy = sum(len(v) for k, v in times.items() if k.startswith(BUSY))
        taken = sum(len(v) for k, v in times.items() if not k.startswith(BUSY))
        replies = len(fake.calls_to("response_url"))
    return Flow(
        replies / (last_reply - loaded["started"]), taken, busy, last_reply - loaded["ended"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="the revision to compare with")
    parser.add_argument("--requests", type=int, default=300, help="back to back: of each kind")
    parser.add_argument(
        "--rates", default="150,200,250", help="commands a second offered, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=20, help="how long each rate is offered")
    args = parser.parse_args()
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    offered = [None, *(float(rate) for rate in args.rates.split(",") if rate)]
    with checkout(args.baseline) as before:
        trees = {f"before ({args.baseline})": before, "now": ROOT}
        cpu = {name: cpu_per_command(tree) for name, tree in trees.items()}
        flows = {
            (name, rate): throughput(
                tree,
                args.requests if rate is None else int(rate * args.seconds / len(KINDS)),
                rate,
            )
            for name, tree in trees.items()
            for rate in offered
        }
    print(machine_speed() + "\n")
    print(f"CPU of the web worker per command, median of {SAMPLES}, {backend}\n")
    print("| request | " + " | ".join(trees) + " |")
    print("|---|" + "---|" * len(trees))
    for kind in KINDS:
        print(f"| {kind} | " + " | ".join(f"{cpu[name][kind]:.1f} ms" for name in trees) + " |")
    print(f"\nWork finished, {CLIENTS} clients, Slack 150 ms away, 2 workers, {backend}\n")
    print(
        "| code | commands offered | replies a second | taken on | answered busy "
        "| last reply after the last command |"
    )
    print("|---|---|---|---|---|---|")
    for (name, rate), flow in flows.items():
        pace = "back to back" if rate is None else f"{rate:.0f} a second for {args.seconds:.0f} s"
        print(
            f"| {name} | {pace} | {flow.replies_a_second:.0f} | {flow.taken} | {flow.busy} "
            f"| {flow.drained:.1f} s |"
        )


if __name__ == "__main__":
    main()
