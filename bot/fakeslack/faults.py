"""The faults a test asks the fake Slack for (429s, 500s, answers too late to wait for or lost) and
Slack's own posting rate limits, which answer 429 when a run posts too fast. Like Slack's, the
limits are each workspace's: one workspace posting flat out leaves another's untouched."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

# What a fault answers instead of the method: status, body, headers.
Failure = tuple[int, dict[str, Any], dict[str, str]]


class Faults:
    """Failures and stalls queued per method (or "response_url", "file_upload"), taken in turn."""

    def __init__(self, post_limits: tuple[float, int] | None = None) -> None:
        self.post_limits = post_limits
        self._lock = threading.Lock()
        self._failures: dict[str, deque[tuple[int, int]]] = {}
        self._stalls: dict[str, deque[float]] = {}
        self._drops: dict[str, int] = {}
        self._last_post: dict[tuple[str, str], float] = {}  # (workspace, channel) → when
        self._recent_posts: dict[str, deque[float]] = {}  # workspace → its posts' times

    def fail_next(
        self, method: str, status: int, count: int = 1, retry_after: int = 1, after: int = 0
    ) -> None:
        if status not in (429, 500):
            raise ValueError(f"fail_next fakes 429 or 500, not {status}")
        with self._lock:
            queued = self._failures.setdefault(method, deque())
            queued.extend([(200, 0)] * after + [(status, retry_after)] * count)

    def stall_next(self, method: str, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._stalls.setdefault(method, deque()).extend([seconds] * count)

    def drop_next(self, method: str, count: int = 1) -> None:
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + count

    def reset(self) -> None:
        """Forget queued failures, stalls and drops; the rate limits' memory of posts stays."""
        with self._lock:
            self._failures.clear()
            self._stalls.clear()
            self._drops.clear()

    def failure(self, method: str, args: dict[str, Any], workspace: str = "") -> Failure | None:
        """What to answer instead of doing this call (made with `workspace`'s token), if
        anything: a queued failure first."""
        return self._take_failure(method) or self._over_post_limits(method, args, workspace)

    def stall(self, method: str) -> float:
        """Seconds to hold this call's answer back."""
        with self._lock:
            stalls = self._stalls.get(method)
            return stalls.popleft() if stalls else 0.0

    def drop(self, method: str) -> bool:
        """Whether to end this call's connection instead of answering (the call is done)."""
        with self._lock:
            if not self._drops.get(method):
                return False
            self._drops[method] -= 1
            return True

    def _take_failure(self, method: str) -> Failure | None:
        with self._lock:
            queued = self._failures.get(method)
            if not queued:
                return None
            status, retry_after = queued.popleft()
        if status == 200:
            return None
        if status == 429:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        return 500, {"ok": False, "error": "internal_error"}, {}

    def _over_post_limits(
        self, method: str, args: dict[str, Any], workspace: str
    ) -> Failure | None:
        if self.post_limits is None or method != "chat.postMessage":
            return None
        gap, per_second = self.post_limits
        channel, now = (workspace, str(args.get("channel"))), time.monotonic()
        with self._lock:
            recent = self._recent_posts.setdefault(workspace, deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if now - self._last_post.get(channel, -gap) < gap or len(recent) >= per_second:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            self._last_post[channel] = now
            recent.append(now)
        return None
