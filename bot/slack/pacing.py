"""Sending many messages within Slack's posting limits, several at a time: the digest's
deliveries (jobs.delivery) and the outbox notices a job wrote (bot.slack.sender) alike.

Slack is a round trip away, so one post at a time leaves most of the allowed pace unused;
`SENDERS` posts are in flight at once, each waiting on one `Pacer` for its channel. A 429 is a
signal to slow down, not the pacing: the client used must let it through (`answering_429s`),
and what it refused goes again in a later pass (`in_rounds`).
"""

from __future__ import annotations

import contextvars
import copy
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

PER_CHANNEL_GAP = 1.0  # Slack allows about one message a second in a channel
# chat.postMessage's limit across a workspace: Slack publishes none for its special tier beyond
# the channel's; 50 a second is what the fake enforces and a 429 lowers the pace if Slack's is less.
POSTS_PER_SECOND = 46.0  # under 50, so a late sender catching up does not cost a 1 s Retry-After
SENDERS = 10  # posts in flight: 50 a second with Slack 150 ms away needs 8
RATE_LIMITED_ROUNDS = 5  # passes over what a 429 refused before it is left for later

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class Pacer:
    """Keeps to Slack's posting limits for all the senders of a run: a message a second per
    channel and `per_second` in all. A 429 halves the pace and holds every sender for its
    `Retry-After`; each confirmed post wins a little of the pace back. So Slack's answers
    correct the pacing, and are not the pacing."""

    def __init__(self, gap: float = PER_CHANNEL_GAP, per_second: float = POSTS_PER_SECOND) -> None:
        self.gap = gap
        self.fastest = 1.0 / per_second
        self.interval = self.fastest
        self.next_slot = 0.0
        self.slowdowns = 0  # the 429s heard
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def wait(self, channel: str) -> None:
        """Sleep until this channel and the workspace each have room for one more post."""
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_slot, self.last.get(channel, -self.gap) + self.gap)
            self.next_slot = at + self.interval
            self.last[channel] = at
        if at > now:
            time.sleep(at - now)

    def slowed(self, retry_after: float) -> None:
        with self.lock:
            self.slowdowns += 1
            self.interval = min(self.interval * 2, self.gap)
            self.next_slot = max(self.next_slot, time.monotonic() + retry_after)

    def refused(self, error: SlackApiError) -> bool:
        """Whether Slack refused the call for going too fast (a 429: it did nothing, so the
        call may be made again); if so, the pace slows for its `Retry-After`."""
        if error.response.status_code != 429:
            return False
        self.slowed(float(error.response.headers.get("Retry-After", 1)))
        return True

    def confirmed(self) -> None:
        with self.lock:
            self.interval = max(self.fastest, self.interval * 0.95)


def answering_429s(client: WebClient) -> WebClient:
    """The same client without its own waits on a 429: a paced sender's pacer must hear of
    each (the bot's and the clock's clients wait them out, for sends made one at a time)."""
    own = copy.copy(client)
    own.retry_handlers = [
        handler
        for handler in client.retry_handlers
        if not isinstance(handler, RateLimitErrorRetryHandler)
    ]
    return own


def in_rounds(
    items: Sequence[Item],
    send: Callable[[Item], Outcome],
    refused: Callable[[Outcome], bool],
    senders: int = SENDERS,
) -> list[Outcome]:
    """Each item's last outcome, in order: `send` runs `senders` at a time, and again, after
    the pacer has slowed, for those a 429 refused, up to RATE_LIMITED_ROUNDS passes. Each runs
    in the caller's context (its partnership: whose rows, whose workspace's token), which a
    pool's threads do not inherit."""
    outcomes: dict[int, Outcome] = {}
    waiting = list(range(len(items)))
    callers = contextvars.copy_context()

    def sent(index: int) -> Outcome:
        return callers.copy().run(send, items[index])  # a context runs in one thread at a time

    with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="paced") as pool:
        for _ in range(RATE_LIMITED_ROUNDS):
            for index, outcome in zip(waiting, pool.map(sent, waiting), strict=True):
                outcomes[index] = outcome
            waiting = [index for index in waiting if refused(outcomes[index])]
            if not waiting:
                break
    return [outcomes[index] for index in range(len(items))]
