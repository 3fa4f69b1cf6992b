"""Taking up again the work a process left when it died (see bot.services.inbox).

Every few seconds each running process renews the leases of its own work, then claims
requests whose lease ran out and dispatches each through the app again, as Socket Mode would
(no signature: it was checked when Slack sent it), with the claim in the context so the guard
does the work without storing or acknowledging it again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.partnership_scope import in_partnership
from bot.services.inbox import MAX_ATTEMPTS, Claimed
from bot.slack.blocks.common import Message
from bot.slack.guard import REPLAY, Workload
from bot.slack.sender import Sender

log = logging.getLogger("partnerbot")
SWEEP_EVERY = 5.0  # seconds; a third of the lease
CLAIM_AT_ONCE = 10  # abandoned requests claimed a statement; a sweep claims all it can hold
GAVE_UP = (
    "Partnerbot stopped {times} times while doing what you asked (`{what}`), so it won't try "
    "again. Nothing more will happen with it: please ask again, or tell a coordinator."
)


class Sweeper:
    def __init__(
        self, app: App, workload: Workload, sender: Sender, every: float = SWEEP_EVERY
    ) -> None:
        self.app, self.workload, self.sender, self.every = app, workload, sender, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Sweep at start (work a previous process left) and every few seconds after."""
        self._thread = threading.Thread(target=self._run, name="inbox-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the database away, say: the next sweep tries again
                log.exception("inbox sweep failed")
            self._stop.wait(self.every)

    def sweep(self) -> list[Claimed]:
        """Renew this process's leases; claim abandoned requests and hand each to the pool;
        send the outbox items a dead process wrote, and report those it was sending."""
        self.sender.sweep()
        inbox = self.workload.inbox
        inbox.renew(self.workload.in_hand())
        taken: list[Claimed] = []
        room = self.workload.room()  # all there is, as far as this process can hold
        while room > 0:
            claimed = inbox.claim_abandoned(min(CLAIM_AT_ONCE, room))
            for item in claimed:
                log.warning(
                    "inbox item %s (%s) taken up again, try %s", item.id, item.kind, item.attempts
                )
                if item.attempts > MAX_ATTEMPTS:
                    self._give_up(item)
                else:
                    self.workload.pool.submit(self._replay, item)
            taken += claimed
            room -= len(claimed)
            if len(claimed) < CLAIM_AT_ONCE:
                break
        return taken

    def _replay(self, item: Claimed) -> None:
        request = BoltRequest(body=item.body, mode="socket_mode", context={REPLAY: item})
        response = self.app.dispatch(request)
        if response.status == 404:  # no listener took it (none matches any more): settle it
            self.workload.finish(item.id)

    def _give_up(self, item: Claimed) -> None:
        """Work that stopped the process every time: said to the person, never tried again."""
        self.workload.inbox.done(item.id, failed=True)
        user = _user_of(item.body)
        if not user:
            return
        what = item.body.get("command") or "a button or form"
        with in_partnership(item.partnership_id):
            self.sender.dm(user, Message(text=GAVE_UP.format(times=item.attempts - 1, what=what)))


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    return user.get("id") if isinstance(user, dict) else user
