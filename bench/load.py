"""The timed clients of bench/ack.py, in a process of their own.

The fake Slack in bench/ack.py checks every block the bot sends it with slack_sdk's models: CPU
work that holds that process's GIL. Clients timed in the same process would count their waits
for the GIL as the app's latency, and only for the bot, since the bare app calls no Web API. So
bench/ack.py makes the bodies (they need the fake's response URLs and trigger ids) and this
process only signs, sends and times them.

    python -m bench.load < job.json > times.json

The job is a `Job` as JSON; the answer is a `Loaded`: each request kind's latencies in seconds,
and when the first request went and the last answer came (epoch seconds, for rates that leave
out this process's own start-up). With a `rate`, the clients send on a schedule (open loop: so
many requests a second in all, whatever the answers), as people do; without, each sends as soon
as its last request is answered (closed loop: as much as the server will take).
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NotRequired, TypedDict

from bot.fakeslack.signing import signature_headers

FORM = "application/x-www-form-urlencoded"


class Job(TypedDict):
    """What to send where: one list of (kind, body) a client, each sent in order; `rate`, if
    given, requests a second in all."""

    port: int
    secret: str
    clients: list[list[tuple[str, str]]]
    rate: NotRequired[float]


BUSY = "busy: "  # the prefix of a kind answered "busy" (bot.slack.guard.BUSY)


def client(
    port: int, secret: str, requests: list[tuple[str, str]], due: list[float] | None = None
) -> list[tuple[str, float]]:
    """One client on a keep-alive connection: each request when it is `due` (epoch seconds),
    else as soon as the last is answered; signed just before it goes (Slack refuses a stale
    timestamp)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for number, (kind, body) in enumerate(requests):
        if due is not None and (wait := due[number] - time.time()) > 0:
            time.sleep(wait)
        headers = {"Content-Type": FORM, **signature_headers(secret, body)}
        started = time.perf_counter()
        connection.request("POST", "/slack/events", body, headers)
        answer = connection.getresponse()
        said = answer.read()
        took = time.perf_counter() - started
        if answer.status != 200:
            raise RuntimeError(f"{kind}: HTTP {answer.status}")
        # A command the bot was too busy to take on is counted apart: it did no work.
        times.append((f"{BUSY}{kind}" if b"very busy" in said else kind, took))
    connection.close()
    return times


class Loaded(TypedDict):
    times: dict[str, list[float]]
    started: float
    ended: float


def run(job: Job) -> Loaded:
    """All the clients at once; the first failure of any of them is raised."""
    by_kind: dict[str, list[float]] = {}
    clients = job["clients"]
    started = time.time()
    rate = job.get("rate")
    # Open loop: the clients take turns, request n of them all due n / rate seconds in.
    due = [
        [started + (n * len(clients) + k) / rate for n in range(len(requests))] if rate else None
        for k, requests in enumerate(clients)
    ]
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [
            pool.submit(client, job["port"], job["secret"], requests, times)
            for requests, times in zip(clients, due, strict=True)
        ]
        for future in futures:
            for kind, took in future.result():
                by_kind.setdefault(kind, []).append(took)
    return {"times": by_kind, "started": started, "ended": time.time()}


def main() -> None:
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
