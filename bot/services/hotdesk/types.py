"""Hot desks' vocabulary: what a booking, a host and a refusal are, and how typed words read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from bot.services.directory import OrganisationRef, Person
from bot.services.outbox import Written
from bot.services.refusal import Refusal

ACTIVE = ("pending", "confirmed")
EMAIL_DECIDER = "email"  # `decided_by` of a visit a key worker decided with an email's link


REF = re.compile(r"^#?d?(\d{1,9})$", re.IGNORECASE)


class Part(StrEnum):
    AM = "am"
    PM = "pm"
    DAY = "day"

    @property
    def halves(self) -> tuple[str, ...]:
        return ("am", "pm") if self is Part.DAY else (self.value,)

    @property
    def label(self) -> str:
        return {"am": "morning", "pm": "afternoon", "day": "whole day"}[self.value]

    @property
    def hours(self) -> tuple[time, time]:
        return {"am": (time(9), time(13)), "pm": (time(13), time(17)), "day": (time(9), time(17))}[
            self.value
        ]


PART_WORDS = {
    "am": Part.AM, "morning": Part.AM, "pm": Part.PM, "afternoon": Part.PM,
    "day": Part.DAY, "all-day": Part.DAY, "whole": Part.DAY, "full": Part.DAY,
}  # fmt: skip


def parse_part(word: str) -> Part | None:
    return PART_WORDS.get(word.strip().lower().replace(".", ""))


def parse_ref(text: str) -> int | None:
    """ "D12", "d12", "#12" or "12" → 12."""
    match = REF.match(text.strip())
    return int(match[1]) if match else None


class HotdeskProblem(Refusal):
    """A request refused: `str()` is the sentence to show; `alternatives` are slots to offer;
    `field` is the form field it is about: host, day or part."""

    def __init__(
        self, message: str, example: str = "", alternatives: Sequence[Slot] = (), field: str = ""
    ) -> None:
        super().__init__(message, example, field)
        self.alternatives = list(alternatives)


class SlotGone(HotdeskProblem):
    """The slot is full (perhaps someone took the last desk a moment ago)."""


@dataclass(frozen=True)
class Host:
    """An agency that lends desks, and everything a visitor needs to know before going."""

    code: str
    name: str
    address: str
    protocol: str
    key_workers: tuple[Person, ...]
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool
    max_days_ahead: int
    closures: tuple[date, ...]
    closed_on_bank_holidays: bool

    @property
    def ref(self) -> OrganisationRef:
        return OrganisationRef(self.code, self.name)

    @property
    def key_worker_ids(self) -> tuple[str, ...]:
        return tuple(person.slack_user_id for person in self.key_workers if person.slack_user_id)

    @property
    def parts(self) -> tuple[Part, ...]:
        return (Part.AM, Part.PM, Part.DAY) if self.half_days else (Part.DAY,)


@dataclass(frozen=True)
class Booking:
    id: int
    host: Host
    visitor_id: str
    visitor_name: str
    visitor_organisation: str | None
    day: date
    part: Part
    status: str

    @property
    def ref(self) -> str:
        return f"D{self.id}"


@dataclass(frozen=True)
class Booked:
    booking: Booking
    already: bool = False  # the same booking existed: a second click, or a retried request
    notices: tuple[Written, ...] = ()  # written with the booking, to send after the commit
    emailed: int = 0  # key workers not on Slack told by email (sent by the `email` job)


@dataclass(frozen=True)
class Ended:
    """A booking cancelled or decided; `other_side` is whom to let know (the key workers or
    the visitor, not the person acting)."""

    booking: Booking
    by: str
    other_side: tuple[str, ...]
    already: bool = False
    notices: tuple[Written, ...] = ()  # written with the change, to send after the commit


@dataclass(frozen=True)
class Slot:
    host: OrganisationRef
    day: date
    part: Part
    free: int


@dataclass(frozen=True)
class Cell:
    """Free desks at one agency on one day (None: not open for booking that day)."""

    am: int
    pm: int

    def free_parts(self, host: Host) -> list[Part]:
        parts = []
        if host.half_days:
            parts += [part for part, free in ((Part.AM, self.am), (Part.PM, self.pm)) if free]
        if self.am and self.pm:
            parts.append(Part.DAY)
        return parts


@dataclass(frozen=True)
class FreeGrid:
    days: list[date]
    hosts: list[Host]
    cells: dict[tuple[str, date], Cell | None]


@dataclass(frozen=True)
class MyBookings:
    visiting: list[Booking]
    hosting: list[Booking] = field(default_factory=list)  # at agencies where they are key worker


@dataclass(frozen=True)
class OfferEdit:
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool
    closures: tuple[date, ...]
    closed_on_bank_holidays: bool
    max_days_ahead: int
    address: str
    protocol: str
    key_worker_ids: tuple[str, ...]


class OfferInvalid(Refusal):
    """The offer form's problems, by field, to show next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Nightly:
    """What the evening job tells: releases of undecided requests, and tomorrow's visits."""

    released: list[Booking]
    visits: list[Booking]
