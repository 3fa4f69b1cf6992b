"""The glossary's vocabulary: an entry, a term's card, a page, a snapshot to read posts with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.refusal import Refusal

PAGE_SIZE = 10


class GlossaryProblem(Refusal):
    """A glossary request refused, with the sentence to show and a command that works."""


@dataclass(frozen=True)
class Entry:
    """One meaning of a term, and who gave it (no organisation: the partnership file)."""

    id: int
    term: str
    meaning: str
    description: str
    organisation: str | None
    organisation_code: str | None
    added_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class Card:
    """A term as `/jargon ISP` shows it: its meanings, and the other names for the same thing
    (`also_called`), with the term asked for when it is only another name (`asked`)."""

    asked: str
    entries: tuple[Entry, ...]
    also_called: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    entries: tuple[Entry, ...]
    number: int
    has_more: bool
    query: str = ""  # the search, or "" for the whole glossary


@dataclass(frozen=True)
class Added:
    entry: Entry
    second_meaning: bool  # the term had a meaning from another organisation already
