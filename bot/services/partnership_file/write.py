"""The partnership's current settings written out as a partnership file: pure text from the
database, so a coordinator can edit what the bot holds and load it back.

Everything `read` accepts and `apply` stores is written, so reading the export and applying it
changes nothing. Nothing secret is in the database's settings, and nothing secret is written:
the file holds what coordinators see in Slack anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import read_scope
from bot.models import (
    EmailCoordinator,
    GlossaryTerm,
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    Topic,
)
from bot.partnership_cache import partnership_settings
from bot.services.rights import DEFAULT_RETENTION
from bot.services.schedule import Schedule
from bot.services.working_days import REGIONS

REGION_NAMES = {code: name for name, code in REGIONS.items()}


def export_partnership(engine: Engine, *, now: datetime, by: str) -> str:
    """The partnership file of what the database holds now; `by` says how it was asked for
    (the header names it, with the time)."""
    with read_scope(engine) as session:
        lines = [*_header(now, by), *_partnership(session), *_organisations(session)]
        lines += [*_glossary(session), *_people(session), *_retention(session)]
        lines += _schedule(session)
    return "\n".join(lines) + "\n"


def _header(now: datetime, by: str) -> list[str]:
    return [
        f"# The partnership file, exported {now:%d %b %Y at %H:%M} ({now.tzname()}) from "
        f"Partnerbot's database, by {by}.",
        "# It is written afresh from the database each time: comments are not kept (the sample",
        "# file in the README explains every field). Edit it and load it back to change them.",
        "",
    ]


def _partnership(session: Session) -> Iterator[str]:
    row = partnership_settings(session)
    topics = session.exec(select(Topic.name).order_by(col(Topic.id))).all()
    yield "[partnership]"
    yield f"name = {toml_string(row.name)}"
    yield f"privacy = {toml_string(row.privacy_policy)}"
    yield f"bank_holidays = {toml_string(REGION_NAMES.get(row.bank_holidays, row.bank_holidays))}"
    if row.timezone:
        yield f"timezone = {toml_string(row.timezone)}"
    yield f"followup_after = {row.followup_after}"
    yield f"topics = {_list(topics)}"
    yield ""
    yield "[channels]"
    for kind in ("updates", "opportunities", "digest"):
        channel = getattr(row, f"{kind}_channel")
        if channel:
            yield f"{kind} = {toml_string(channel)}"
    yield ""
    for member in session.exec(
        select(Member).where(col(Member.is_coordinator)).order_by(col(Member.id))
    ):
        yield "[[coordinators]]"
        yield f"slack = {toml_string(member.slack_user_id)}"
        if member.name:
            yield f"name = {toml_string(member.name)}"
        yield ""
    for by_email in session.exec(select(EmailCoordinator).order_by(col(EmailCoordinator.id))):
        yield "[[coordinators]]"
        yield f"name = {toml_string(by_email.name)}"
        yield f"email = {toml_string(by_email.email)}"
        yield ""
    if row.jargon_stoplist:
        yield "[jargon]"
        yield f"stoplist = {_list(row.jargon_stoplist)}"
        yield ""
    yield "[report]"
    yield f"format = {toml_string(row.report_format)}"
    yield ""
    yield "[email]"
    yield f"per_minute = {row.emails_per_minute}"
    yield ""


def _organisations(session: Session) -> Iterator[str]:
    for organisation in session.exec(select(Organisation).order_by(col(Organisation.id))):
        yield "[[organisations]]"
        yield f"code = {toml_string(organisation.code)}"
        yield f"name = {toml_string(organisation.name)}"
        for key in ("description", "address", "visitor_protocol"):
            value = getattr(organisation, key)
            if value:
                yield f"{key} = {toml_string(value)}"
        workers = session.exec(
            select(KeyWorker)
            .where(KeyWorker.organisation_id == organisation.id)
            .order_by(col(KeyWorker.id))
        )
        for worker in workers:
            yield ""
            yield "  [[organisations.key_workers]]"
            yield f"  name = {toml_string(worker.name)}"
            if worker.slack_user_id:
                yield f"  slack = {toml_string(worker.slack_user_id)}"
            if worker.email:
                yield f"  email = {toml_string(worker.email)}"
        offer = session.get(HotdeskOffer, organisation.id)
        if offer is not None:
            yield ""
            yield "  [organisations.hotdesk]"
            yield f"  desks = {offer.desks}"
            yield f"  weekdays = {_list(offer.weekdays)}"
            yield f"  half_days = {_boolean(offer.half_days)}"
            yield f"  needs_approval = {_boolean(offer.needs_approval)}"
            yield f"  closures = [{', '.join(_closures(offer.closures))}]"
            yield f"  closed_on_bank_holidays = {_boolean(offer.closed_on_bank_holidays)}"
            yield f"  max_days_ahead = {offer.max_days_ahead}"
        yield ""


def _glossary(session: Session) -> Iterator[str]:
    """The partnership's own entries (the file's, as coordinators may have edited them), one
    per term; members' entries belong to their organisations and stay out of the file."""
    rows = session.exec(
        select(GlossaryTerm)
        .where(col(GlossaryTerm.organisation_id).is_(None))
        .order_by(col(GlossaryTerm.id))
    ).all()
    seen: set[str] = set()
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        yield "[[glossary]]"
        yield f"term = {toml_string(row.term)}"
        yield f"meaning = {toml_string(row.meaning)}"
        if row.description:
            yield f"description = {toml_string(row.description)}"
        yield ""


def _people(session: Session) -> Iterator[str]:
    rows = session.exec(
        select(PartnerPerson, Organisation.code)
        .join(Organisation, col(Organisation.id) == PartnerPerson.organisation_id)
        .order_by(col(PartnerPerson.id))
    ).all()
    for person, code in rows:
        yield "[[people]]"
        yield f"name = {toml_string(person.name)}"
        yield f"organisation = {toml_string(code)}"
        yield f"email = {toml_string(person.email)}"
        if person.role:
            yield f"role = {toml_string(person.role)}"
        yield ""


def _retention(session: Session) -> Iterator[str]:
    """The periods the partnership set; the others as comments, at their defaults."""
    row = partnership_settings(session)
    chosen: dict[str, int] = json.loads(row.retention) if row.retention else {}
    yield "[retention]"
    for kind, default in DEFAULT_RETENTION.items():
        if kind in chosen:
            yield f"{kind} = {chosen[kind]}"
        else:
            yield f"# {kind} = {default}   (the default)"
    yield ""


def _schedule(session: Session) -> Iterator[str]:
    row = partnership_settings(session)
    schedule = Schedule.from_json(row.schedule)
    yield "# Jobs not named here run at their default times."
    yield "[schedule]"
    for job, when in schedule.jobs.items():
        yield f"{job} = {toml_string(str(when))}"
    yield f"catch_up_hours = {schedule.catch_up_hours}"


def _closures(days: Iterable[str]) -> Iterator[str]:
    """ISO days as TOML: a run of consecutive days as one range, "first to last"."""
    ordered = sorted(date.fromisoformat(day) for day in days)
    runs = groupby(enumerate(ordered), key=lambda pair: pair[1] - timedelta(days=pair[0]))
    for _, run in runs:
        span = [day for _, day in run]
        first, last = span[0], span[-1]
        yield first.isoformat() if first == last else toml_string(f"{first} to {last}")


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _list(words: Iterable[str]) -> str:
    return "[" + ", ".join(toml_string(word) for word in words) + "]"


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML escapes too. Text
    longer than a line, or of several, is written as the sample writes it (`_long_string`)."""
    if len(text) > WRAP or "\n" in text:
        return _long_string(text)
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


WRAP = 80  # characters of text a line, in the file's long strings


def _long_string(text: str) -> str:
    """A TOML multi-line basic string, its lines kept and wrapped at spaces by a line-ending
    backslash (which TOML removes with the line break and the spaces after it)."""
    body, column = ['"""'], 0
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char == " " and column >= WRAP and following and not following.isspace():
            body.append(" \\\n")
            column = 0
            continue
        if char == "\n" and index:  # one right after the opening quotes would be dropped
            body.append("\n")
            column = 0
            continue
        body.append(_ESCAPES.get(char) or (f"\\u{ord(char):04X}" if _control(char) else char))
        column += 1
    return "".join(body) + '"""'


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t"}


def _control(char: str) -> bool:
    return ord(char) < 0x20 or ord(char) == 0x7F
