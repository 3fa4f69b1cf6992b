"""Opportunities' vocabulary: what is shared, how it is shown, why it was refused, and the
kinds' typed words."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from bot.services.directory import OrganisationRef
from bot.services.privacy import Finding
from bot.services.refusal import Refusal

KINDS = ("training", "event", "funding", "vacancy", "volunteering", "other")


WITH_PLACES = ("training", "event")


KIND_WORDS = {kind: kind for kind in KINDS} | {
    "trainings": "training", "course": "training", "events": "event", "vacancies": "vacancy",
    "job": "vacancy", "jobs": "vacancy", "volunteer": "volunteering", "grant": "funding",
}  # fmt: skip


def parse_kind(word: str) -> str | None:
    return KIND_WORDS.get(word.strip().lower())


@dataclass(frozen=True)
class OpportunityInput:
    """What a person asked to share, as typed values (the form's or the one-line command's)."""

    kind: str
    title: str
    description: str = ""
    link: str | None = None
    closes_on: date | None = None
    event_on: date | None = None
    places: int | None = None
    organisation: str | None = None  # a code; only coordinators may name another organisation

    def to_json(self) -> str:
        values = asdict(self)
        for name in ("closes_on", "event_on"):
            values[name] = values[name].isoformat() if values[name] else None
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> OpportunityInput:
        values = json.loads(text)
        for name in ("closes_on", "event_on"):
            values[name] = date.fromisoformat(values[name]) if values.get(name) else None
        return cls(**values)


class OpportunityProblem(Refusal):
    """A request refused: `str()` is the sentence to show, with an example that works."""

    def __init__(self, message: str, example: str = "") -> None:
        super().__init__(message, example)


class OpportunityInvalid(OpportunityProblem):
    """The input's problems by field (kind, title, description, link, closes_on, event_on,
    places), to show next to each field of the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), "/opportunity help")
        self.errors = errors


@dataclass(frozen=True)
class OpportunityView:
    id: int
    organisation: OrganisationRef
    poster_id: str
    kind: str
    title: str
    description: str
    link: str | None
    closes_on: date | None
    event_on: date | None
    places: int | None
    status: str
    interested: int
    created_at: datetime
    channel: str | None = None
    ts: str | None = None

    @property
    def places_left(self) -> int | None:
        return None if self.places is None else max(0, self.places - self.interested)


class Caution(Refusal):
    """Nothing was posted: it looks shared already, or holds what looks like personal data."""

    def __init__(
        self,
        attempt: OpportunityInput,
        duplicates: Sequence[OpportunityView],
        findings: Sequence[Finding],
        may_post_anyway: bool,
    ) -> None:
        super().__init__("check before posting")
        self.attempt = attempt
        self.duplicates = list(duplicates)
        self.findings = list(findings)
        self.may_post_anyway = may_post_anyway


@dataclass(frozen=True)
class Interest:
    opportunity: OpportunityView
    interested: bool


@dataclass(frozen=True)
class Page:
    items: list[OpportunityView]
    number: int
    has_more: bool
    mine: frozenset[int] = frozenset()  # those the viewer may change (theirs, or all: coordinator)


@dataclass(frozen=True)
class Reminder:
    opportunity: OpportunityView
    member_ids: list[str] = field(default_factory=list)
