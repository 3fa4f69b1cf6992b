"""The glossary's reads and writes, in the caller's Session (the service opens transactions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from bot.models import GlossarySynonym, GlossaryTerm, Member, Organisation
from bot.partnership_cache import partnership_settings
from bot.scoping import ours
from bot.services.gate import trusted
from bot.services.glossary.rules import Snapshot, normalise, stoplist
from bot.services.glossary.types import Entry, GlossaryProblem


def entries_of(session: Session, rows: Sequence[GlossaryTerm]) -> tuple[Entry, ...]:
    """Views of the rows, their organisations read in one query."""
    ids = {row.organisation_id for row in rows if row.organisation_id is not None}
    organisations = {
        org.id: org
        for org in session.exec(select(Organisation).where(col(Organisation.id).in_(ids)))
    }
    views = []
    for row in rows:
        org = organisations.get(row.organisation_id) if row.organisation_id else None
        views.append(
            Entry(
                row.id,
                row.term,
                row.meaning,
                row.description,
                org.name if org else None,
                org.code if org else None,
                row.added_by,
                row.created_at,
            )
        )
    return tuple(views)


def rows_for(session: Session, keys: Iterable[str]) -> list[GlossaryTerm]:
    return list(
        session.exec(
            select(GlossaryTerm)
            .where(col(GlossaryTerm.key).in_(list(keys)))
            .order_by(col(GlossaryTerm.key), col(GlossaryTerm.created_at), col(GlossaryTerm.id))
        ).all()
    )


def same_as(session: Session, key: str) -> list[str]:
    """Every other term recorded as naming the same thing, however indirectly."""
    pairs = session.exec(select(GlossarySynonym.first, GlossarySynonym.second)).all()
    group, frontier = {key}, [key]
    while frontier:
        current = frontier.pop()
        for first, second in pairs:
            other = second if first == current else first if second == current else None
            if other is not None and other not in group:
                group.add(other)
                frontier.append(other)
    return sorted(group - {key})


def written(session: Session, key: str) -> str:
    """A term as its first entry writes it, else as filed."""
    return (
        session.exec(
            select(GlossaryTerm.term).where(GlossaryTerm.key == key).order_by(col(GlossaryTerm.id))
        ).first()
        or key
    )


def must_exist(session: Session, term: str) -> str:
    """The normalised key of a term in the glossary, or GlossaryProblem."""
    key = normalise(term)
    if not rows_for(session, [key]):
        raise GlossaryProblem(
            f"{term} isn't in the glossary yet: add what it means first.",
            f"/jargon add {term} …",
        )
    return key


def author_organisation(session: Session, user_id: str) -> Organisation:
    """The organisation an entry is attributed to: the author's, or GlossaryProblem."""
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).first()
    organisation = (
        session.get(Organisation, member.organisation_id)
        if member and member.organisation_id
        else None
    )
    if organisation is None:
        raise GlossaryProblem(
            "Glossary entries say which organisation uses the term, and you haven't joined "
            "one yet.",
            "/partners join Harbour",
        )
    return organisation


def entry_to_change(session: Session, term: str, organisation: str) -> GlossaryTerm:
    """The one entry a coordinator names: the term's only meaning, or the one from
    `organisation` (a code) when it has several; GlossaryProblem otherwise."""
    key = must_exist(session, term)
    rows = rows_for(session, [key])
    if organisation:
        chosen = [row for row in rows if _code(session, row).casefold() == organisation.casefold()]
    else:
        chosen = rows if len(rows) == 1 else []
    if len(chosen) != 1:
        codes = ", ".join(_code(session, row) or "the partnership file" for row in rows)
        raise GlossaryProblem(
            f"{term} has meanings from {codes}: say which organisation's, by its code.",
            f"/jargon edit {term} {_code(session, rows[0]) or 'HRS'} …",
        )
    return chosen[0]


def _code(session: Session, row: GlossaryTerm) -> str:
    org = session.get(Organisation, row.organisation_id) if row.organisation_id else None
    return org.code if org else ""


def matching(session: Session, words: Sequence[str]) -> list:
    """Conditions: every word in the term, its meaning or its description."""
    return [
        or_(
            func.lower(GlossaryTerm.term).contains(word),
            func.lower(GlossaryTerm.meaning).contains(word),
            func.lower(GlossaryTerm.description).contains(word),
        )
        for word in words
    ]


def snapshot(session: Session) -> Snapshot:
    rows = session.exec(select(GlossaryTerm).order_by(col(GlossaryTerm.id))).all()
    meanings: dict[str, tuple[str, list[str]]] = {}
    for row in rows:
        _term, listed = meanings.setdefault(row.key, (row.term, []))
        if row.meaning not in listed:
            listed.append(row.meaning)
    synonyms = session.exec(select(GlossarySynonym.first, GlossarySynonym.second)).all()
    codes = session.exec(select(Organisation.code)).all()
    known = {*meanings, *(key for pair in synonyms for key in pair), *map(str.casefold, codes)}
    extra = partnership_settings(session).jargon_stoplist
    return Snapshot(
        {key: (term, " / ".join(listed)) for key, (term, listed) in meanings.items()},
        frozenset(known),
        stoplist(extra),
    )


def forget_synonyms(session: Session, key: str) -> None:
    session.connection().execute(
        delete(GlossarySynonym).where(
            or_(col(GlossarySynonym.first) == key, col(GlossarySynonym.second) == key),
            ours(GlossarySynonym),
        )
    )


def load_entry(session: Session, term: str, meaning: str, description: str) -> bool:
    """A partnership file's [[glossary]] entry, attributed to the partnership, unless the term
    has the file's meaning already (a reload changes nothing; a coordinator's edit stands).
    The file was read through the guard under its own policy (partnership_file.read)."""
    key = normalise(term)
    if any(row.organisation_id is None for row in rows_for(session, [key])):
        return False
    session.add(
        GlossaryTerm(
            key=key,
            term=trusted(term),
            meaning=trusted(meaning),
            description=trusted(description),
        )
    )
    session.flush()
    return True


def added_between(session: Session, start: datetime, end: datetime) -> tuple[Entry, ...]:
    """Entries members added in [start, end), oldest first (the partnership file's pre-fill is
    not news): the digest's "new in the glossary"."""
    rows = session.exec(
        select(GlossaryTerm)
        .where(
            GlossaryTerm.created_at >= start,
            GlossaryTerm.created_at < end,
            col(GlossaryTerm.organisation_id).is_not(None),
        )
        .order_by(col(GlossaryTerm.created_at), col(GlossaryTerm.id))
    ).all()
    return entries_of(session, rows)


def term_of_the_week(session: Session, day: date) -> Entry | None:
    """One entry a week, the same all week for everyone, going round the whole glossary."""
    count = session.exec(select(func.count()).select_from(GlossaryTerm)).one()
    if not count:
        return None
    week = day.toordinal() // 7  # weeks start on Mondays: ordinal 1 (1 Jan 1) was a Monday
    row = session.exec(
        select(GlossaryTerm).order_by(col(GlossaryTerm.id)).offset(week % count).limit(1)
    ).one()
    return entries_of(session, [row])[0]
