"""Which partnership the running work is for: every row belongs to one (its `partnership_id`),
and every statement the bot runs sees only the rows of the partnership set here.

A request sets it from its workspace, a job from the partnership it runs for, the outbox's
sender and the inbox's sweeper from the row they took up. A deployment that serves one
workspace has one partnership, which work that set none is for; one serving many
(`serve_many`) has no such fallback, so work that forgot to say whose it is fails loudly
instead of reading or writing another partnership's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ONLY = 1  # the partnership of a deployment that serves one workspace (its row's id)

_current: ContextVar[int | None] = ContextVar("partnership", default=None)
_fallback: int | None = ONLY


class NoPartnership(LookupError):
    """Work reached the database without saying which partnership it is for."""


def current_partnership() -> int:
    """The running work's partnership."""
    partnership = _current.get()
    if partnership is not None:
        return partnership
    if _fallback is None:
        raise NoPartnership("no partnership is set for this work (see bot.partnership_scope)")
    return _fallback


@contextmanager
def in_partnership(partnership_id: int) -> Iterator[None]:
    """Run the block for `partnership_id`: what it reads and writes is that partnership's."""
    token = _current.set(partnership_id)
    try:
        yield
    finally:
        _current.reset(token)


def serve(partnership_id: int | None) -> None:
    """The request thread's partnership, until its next request sets its own: Bolt's
    middleware are not nested around the listeners, so a request's cannot be a block. A
    request for no partnership sets None, so nothing of the thread's last request is kept."""
    _current.set(partnership_id)


def serve_many(many: bool = True) -> None:
    """Whether this process serves many partnerships: then no work has a partnership unless it
    sets one. (Tests switch it back with `serve_many(False)`.)"""
    global _fallback
    _fallback = None if many else ONLY
