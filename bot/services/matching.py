"""Forgiving name matching, so `/partners join harbor` finds "Harbour Refugee Support"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Generic, TypeVar

Item = TypeVar("Item")

ACCEPT = 0.8  # best score needed to take a match without asking
SUGGEST = 0.45  # lowest score worth offering as "did you mean"
CLEAR_LEAD = 0.08  # how far ahead the best must be of the runner-up


def normalise(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", text.casefold()).split()
    return " ".join(word for word in words if word not in {"the", "and"})


def score(query: str, name: str, code: str = "") -> float:
    """1.0 for an exact name or code, high for a prefix or part of the name, else similarity."""
    query, name, code = normalise(query), normalise(name), normalise(code)
    if not query:
        return 0.0
    if query in (name, code):
        return 1.0
    if len(query) >= 3 and (name.startswith(query) or code.startswith(query)):
        return 0.95
    if len(query) >= 3 and query in name:
        return 0.9
    similarity = max(
        SequenceMatcher(None, query, name).ratio(),
        SequenceMatcher(None, query, name[: len(query)]).ratio(),
        SequenceMatcher(None, query, code).ratio() if code else 0.0,
    )
    return similarity * 0.9


@dataclass(frozen=True)
class Match(Generic[Item]):
    """The item found, or none and the closest candidates to offer instead."""

    found: Item | None
    suggestions: list[Item]


def best_match(
    query: str, items: Sequence[Item], keys: Callable[[Item], tuple[str, str]]
) -> Match[Item]:
    """Pick the one item the query clearly means; otherwise list up to three near ones."""
    ranked = sorted(((score(query, *keys(item)), item) for item in items), key=lambda p: -p[0])
    if not ranked:
        return Match(None, [])
    best_score, best = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best_score == 1.0 or (best_score >= ACCEPT and best_score - runner_up >= CLEAR_LEAD):
        return Match(best, [])
    return Match(None, [item for s, item in ranked[:3] if s >= SUGGEST])
