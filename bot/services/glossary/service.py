"""The glossary service: each method one transaction of the store's reads and writes and the
rules' checks. Any member adds a term for their organisation; a term another organisation
already explains gets a second meaning, never overwritten. Coordinators edit, merge and remove.
Terms, meanings and descriptions reach everyone (the channel, the digest), so they pass the gate.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.models import GlossarySynonym, GlossaryTerm
from bot.partnership_scope import current_partnership
from bot.services import audit
from bot.services.directory import is_coordinator
from bot.services.gate import Reach, clear_fields
from bot.services.glossary.rules import (
    Snapshot,
    check_meaning,
    check_term,
    normalise,
    pair,
    split_meaning,
)
from bot.services.glossary.store import (
    author_organisation,
    entries_of,
    entry_to_change,
    forget_synonyms,
    matching,
    must_exist,
    rows_for,
    same_as,
    snapshot,
    written,
)
from bot.services.glossary.types import (
    PAGE_SIZE,
    Added,
    Card,
    Entry,
    GlossaryProblem,
    Page,
)
from bot.services.search import search_words

COORDINATORS_ONLY = "Only coordinators can {what} glossary entries; ask one of them."


class Glossary:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Reading ------------------------------------------------------------------------------------

    def lookup(self, term: str) -> Card:
        """What a term means, who uses it, and its other names; a term known only as another
        name shows the meanings of the terms it names the same thing as."""
        written_term = check_term(term, "/jargon ISP")
        key = normalise(written_term)
        with session_scope(self.engine) as session:
            others = same_as(session, key)
            rows = rows_for(session, [key]) or rows_for(session, others)
            if not rows:
                raise GlossaryProblem(
                    f"{written_term} isn't in the glossary yet. If you know what it means, add "
                    "it — and if you don't, you're probably not the only one.",
                    f"/jargon add {written_term} …",
                )
            return Card(
                written_term,
                entries_of(session, rows),
                tuple(written(session, other) for other in others),
            )

    def browse(self, page: int = 1, query: str = "") -> Page:
        """The glossary newest first, or the entries matching every word of `query`."""
        number = max(page, 1)
        words = search_words(query) if query else []
        if query and not words:
            raise GlossaryProblem("Search for at least one word.", "/jargon search plan")
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(GlossaryTerm)
                .where(*matching(session, words))
                .order_by(col(GlossaryTerm.created_at).desc(), col(GlossaryTerm.id).desc())
                .offset((number - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE + 1)
            ).all()
            entries = entries_of(session, rows[:PAGE_SIZE])
        return Page(entries, number, len(rows) > PAGE_SIZE, query)

    def snapshot(self) -> Snapshot:
        """The glossary as it stands, to read a post with (see types.Snapshot)."""
        with session_scope(self.engine) as session:
            return snapshot(session)

    # Adding -------------------------------------------------------------------------------------

    def add(self, user_id: str, term: str, meaning_text: str) -> Added:
        """`/jargon add ISP Individual Support Plan — the plan …`: the meaning, then an
        optional description after a dash."""
        meaning, description = split_meaning(meaning_text)
        return self.add_entry(user_id, term, meaning, description)

    def add_entry(
        self, user_id: str, term: str, meaning: str, description: str = "", anyway: bool = False
    ) -> Added:
        """A term's meaning for the author's organisation; a second meaning when another
        organisation has one already; refused when theirs already has one."""
        written_term = check_term(term)
        meaning, description = check_meaning(meaning, description)
        key = normalise(written_term)
        with session_scope(self.engine) as session:
            organisation = author_organisation(session, user_id)
            existing = rows_for(session, [key])
            own = [row for row in existing if row.organisation_id == organisation.id]
            if own:
                raise GlossaryProblem(
                    f"{own[0].term} is already in the glossary for {organisation.name}: "
                    f"“{own[0].meaning}”. A coordinator can change it.",
                    f"/jargon {own[0].term}",
                )
            cleared = clear_fields(
                session,
                {
                    "term": (written_term, Reach.OTHERS),
                    "meaning": (meaning, Reach.OTHERS),
                    "description": (description, Reach.OTHERS),
                },
                anyway,
            )
            row = GlossaryTerm(
                key=key,
                term=cleared["term"],
                meaning=cleared["meaning"],
                description=cleared["description"],
                organisation_id=organisation.id,
                added_by=user_id,
            )
            session.add(row)
            session.flush()
            return Added(entries_of(session, [row])[0], bool(existing))

    def same(self, user_id: str, first: str, second: str) -> tuple[str, str]:
        """Record that two terms in the glossary name the same thing (once however often)."""
        example = "/jargon same ISP ITP"
        if not first or not second:
            raise GlossaryProblem("Name two terms that mean the same thing.", example)
        keys = pair(normalise(check_term(first, example)), normalise(check_term(second, example)))
        with session_scope(self.engine) as session:
            for term in (first, second):
                must_exist(session, term)
            if session.get(GlossarySynonym, (current_partnership(), *keys)) is None:
                session.add(GlossarySynonym(first=keys[0], second=keys[1], added_by=user_id))
            return written(session, normalise(first)), written(session, normalise(second))

    # Coordinators -------------------------------------------------------------------------------

    def edit(self, user_id: str, term: str, organisation: str, meaning_text: str) -> Entry:
        """A coordinator rewrites one meaning (the term's only one, or one organisation's)."""
        meaning, description = split_meaning(meaning_text)
        with session_scope(self.engine) as session:
            self._coordinator(session, user_id, "edit")
            row = entry_to_change(session, term, organisation)
            cleared = clear_fields(
                session,
                {"meaning": (meaning, Reach.OTHERS), "description": (description, Reach.OTHERS)},
            )
            row.meaning, row.description = cleared["meaning"], cleared["description"]
            session.add(row)
            audit.record(session, user_id, "glossary edited", row.term)
            session.flush()
            return entries_of(session, [row])[0]

    def merge(self, user_id: str, merged: str, into: str) -> Card:
        """A coordinator files one term's meanings under another (an organisation that already
        explains `into` keeps its own meaning), and the merged term becomes another name for it."""
        example = "/jargon merge ITP ISP"
        if not merged or not into:
            raise GlossaryProblem(
                "Name the term to merge, then the term to merge it into.", example
            )
        with session_scope(self.engine) as session:
            self._coordinator(session, user_id, "merge")
            old, new = must_exist(session, merged), must_exist(session, into)
            pair(old, new)
            target = rows_for(session, [new])
            taken = {row.organisation_id for row in target}
            for row in rows_for(session, [old]):
                if row.organisation_id in taken:
                    session.delete(row)
                else:
                    row.key, row.term = new, target[0].term
                    session.add(row)
            keys = pair(old, new)
            if session.get(GlossarySynonym, (current_partnership(), *keys)) is None:
                session.add(GlossarySynonym(first=keys[0], second=keys[1], added_by=user_id))
            audit.record(session, user_id, "glossary merged", f"{merged} into {into}")
            session.flush()
            return Card(into, entries_of(session, rows_for(session, [new])), (merged,))

    def remove(self, user_id: str, term: str, organisation: str = "") -> int:
        """A coordinator removes a term (every meaning and other name), or one organisation's
        meaning of it; how many meanings went."""
        with session_scope(self.engine) as session:
            self._coordinator(session, user_id, "remove")
            key = must_exist(session, term)
            rows = (
                [entry_to_change(session, term, organisation)]
                if organisation
                else rows_for(session, [key])
            )
            for row in rows:
                session.delete(row)
            session.flush()
            if not rows_for(session, [key]):
                forget_synonyms(session, key)
            audit.record(
                session,
                user_id,
                "glossary removed",
                term + (f" ({organisation})" if organisation else ""),
            )
            return len(rows)

    @staticmethod
    def _coordinator(session: Session, user_id: str, what: str) -> None:
        if not is_coordinator(session, user_id):
            raise GlossaryProblem(COORDINATORS_ONLY.format(what=what))
