"""The work after the acknowledgement: CPU per command, and how many commands a second two
cores finish, for this code beside the code of an earlier revision, in one run.

CPU is read from the kernel (`/proc/<pid>/task/*/schedstat`, nanoseconds on the CPU) for the
web workers alone, around each command sent one at a time and waited for (its reply at the
fake Slack, then 30 ms for the bookkeeping after it). Throughput: 20 clients send commands back
to back for a while, the fake Slack 150 ms away; the figure is replies delivered a second, from
the first command sent to the last reply (as the load process and the fake Slack saw them), with
the commands answered "busy" counted apart.

    .venv/bin/python -m bench.work                       # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.work
    .venv/bin/python -m bench.work --baseline 942a80a    # against another revision
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
from bench.common import database
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


def throughput(tree: Path, per_kind: int) -> tuple[float, int, int]:
    """Replies delivered a second with 20 clients sending back to back (Slack 150 ms away),
    the commands taken on, and those answered busy."""
    with database(migrate=False) as engine, FakeSlack(latency=0.150, niceness=10) as fake:
        url = prepared(tree, engine)
        for user in USERS:
            fake.add_user(user, user)
        with bot_server(tree, fake, url, "2") as (port, _workers):
            loaded = load(port, fake, per_kind, CLIENTS, kinds=KINDS)
            last_reply = time.time() - (time.perf_counter() - settle(fake))
            times = loaded["times"]
        busy = sum(len(v) for k, v in times.items() if k.startswith(BUSY))
        taken = sum(len(v) for k, v in times.items() if not k.startswith(BUSY))
        replies = len(fake.calls_to("response_url"))
    return replies / (last_reply - loaded["started"]), taken, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="the revision to compare with")
    parser.add_argument("--requests", type=int, default=300, help="throughput: of each kind")
    args = parser.parse_args()
    backend = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    with checkout(args.baseline) as before:
        trees = {f"before ({args.baseline})": before, "now": ROOT}
        cpu = {name: cpu_per_command(tree) for name, tree in trees.items()}
        rates = {name: throughput(tree, args.requests) for name, tree in trees.items()}
    print(f"CPU of the web worker per command, median of {SAMPLES}, {backend}\n")
    print("| request | " + " | ".join(trees) + " |")
    print("|---|" + "---|" * len(trees))
    for kind in KINDS:
        print(f"| {kind} | " + " | ".join(f"{cpu[name][kind]:.1f} ms" for name in trees) + " |")
    print(f"\nWork finished, {CLIENTS} clients, Slack 150 ms away, 2 workers, {backend}\n")
    print("| code | replies a second | commands taken on | answered busy |")
    print("|---|---|---|---|")
    for name, (rate, taken, busy) in rates.items():
        print(f"| {name} | {rate:.0f} | {taken} | {busy} |")


if __name__ == "__main__":
    main()
