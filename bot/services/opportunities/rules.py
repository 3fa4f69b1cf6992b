"""Opportunities' rules as pure functions: what may be posted, how typed input is tidied, what
the privacy guard finds in it, and when two look like the same one shared twice."""

from __future__ import annotations

from datetime import date
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from bot.services import gate
from bot.services.gate import BadLink
from bot.services.matching import normalise
from bot.services.opportunities.types import KINDS, WITH_PLACES, OpportunityInput, parse_kind
from bot.services.privacy import Finding
from bot.services.privacy_names import NOBODY, KnownPeople
from bot.services.text import clean

TITLE_MAX = 150


DESCRIPTION_MAX = 3000


LINK_MAX = 500


PLACES_MAX = 10_000


SIMILAR_TITLE = 0.9


def check(attempt: OpportunityInput, today: date) -> dict[str, str]:
    """Every problem with the input, by field; empty when it may be posted."""
    errors = {}
    if attempt.kind not in KINDS:
        errors["kind"] = f"Choose a kind: {', '.join(KINDS)}."
    title = clean(attempt.title)
    if not title:
        errors["title"] = "Give it a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"That title is {len(title)} characters; the limit is {TITLE_MAX}."
    if len(attempt.description) > DESCRIPTION_MAX:
        errors["description"] = (
            f"That's {len(attempt.description)} characters; the limit is {DESCRIPTION_MAX}."
        )
    if attempt.link and len(attempt.link) > LINK_MAX:
        errors["link"] = f"That link is {len(attempt.link)} characters; the limit is {LINK_MAX}."
    elif attempt.link:
        try:
            gate.parse_link(attempt.link)
        except BadLink as bad:
            errors["link"] = str(bad)
    if attempt.closes_on and attempt.closes_on < today:
        errors["closes_on"] = (
            f"{attempt.closes_on:%-d %b %Y} has passed; closing dates are today or later."
        )
    if attempt.event_on and attempt.event_on < today:
        errors["event_on"] = f"{attempt.event_on:%-d %b %Y} has passed."
    if attempt.places is not None and not 0 < attempt.places <= PLACES_MAX:
        errors["places"] = "Places must be a whole number above 0."
    return errors


def tidy(attempt: OpportunityInput) -> OpportunityInput:
    """The input as stored: its kind read ("course" is training), a date and places kept only
    for the kinds that have them."""
    kind = parse_kind(attempt.kind) or attempt.kind.strip().lower()
    return OpportunityInput(
        kind=kind,
        title=" ".join(clean(attempt.title).split()),
        description=clean(attempt.description),
        link=(attempt.link or "").strip() or None,
        closes_on=attempt.closes_on,
        event_on=attempt.event_on if kind in WITH_PLACES else None,
        places=attempt.places if kind in WITH_PLACES else None,
        organisation=attempt.organisation,
    )


def personal_findings(attempt: OpportunityInput, staff: KnownPeople = NOBODY) -> list[Finding]:
    """What the guard finds in the typed text (title, description and link)."""
    typed = (attempt.title, attempt.description, attempt.link or "")
    return [finding for text in typed for finding in gate.findings_in(text, staff)]


def same_link(first: str | None, second: str | None) -> bool:
    def key(link: str) -> str:
        parts = urlsplit(link.strip())
        return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"

    return bool(first and second and key(first) == key(second))


def looks_alike(title: str, link: str | None, attempt: OpportunityInput) -> bool:
    """The same link, or an almost identical title: likely the same one shared twice."""
    return (
        same_link(link, attempt.link)
        or SequenceMatcher(None, normalise(title), normalise(attempt.title)).ratio()
        >= SIMILAR_TITLE
    )
