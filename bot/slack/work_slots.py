"""Work slots: how many listener threads may work at once, as against wait for Slack.

The listener pool has threads enough to keep many Slack calls in flight (each takes about
150 ms), but threads working at once (Python, SQL) compete with the request threads that
acknowledge, for the GIL and the cores. So a listener thread works only while it holds one of
a few slots, and gives its slot up while it waits for Slack (`waiting_for_slack`, around every
Web API call and response-URL reply): acknowledgements meet at most that many working threads,
and the pool still waits on Slack in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

WORK_SLOTS = 1  # listener threads working at once, per process: under the GIL one works at a
# time anyway, and each more only makes the acknowledging threads wait longer (bench/ack.py)

_slots = threading.BoundedSemaphore(WORK_SLOTS)
_held = threading.local()


@contextmanager
def working() -> Iterator[None]:
    """Hold a slot for the listener's work (a listener thread, in the guard)."""
    _slots.acquire()
    _held.slot = True
    try:
        yield
    finally:
        _held.slot = False
        _slots.release()


@contextmanager
def waiting_for_slack() -> Iterator[None]:
    """Give the slot up while Slack answers; a thread without one (a request thread, the
    sweeper) just waits."""
    if not getattr(_held, "slot", False):
        yield
        return
    _held.slot = False
    _slots.release()
    try:
        yield
    finally:
        _slots.acquire()
        _held.slot = True
