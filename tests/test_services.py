"""Service rules that need no Slack: matching, event claims under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from bot.db import read_scope, session_scope
from bot.models import Topic
from bot.services.inbox import Inbox
from bot.services.matching import best_match, normalise

NAMES = [
    ("Harbour Refugee Support", "HRS"),
    ("Safe Passage Legal Advice", "SPL"),
    ("Northside Care Leavers Project", "NCL"),
    ("New Roots Housing", "NRH"),
]


def find(query: str) -> str | None:
    match = best_match(query, NAMES, lambda item: item)
    return match.found[1] if match.found else None


def test_exact_codes_names_prefixes_and_small_typos_match() -> None:
    assert find("hrs") == "HRS"
    assert find("New Roots Housing") == "NRH"
    assert find("safe passage") == "SPL"
    assert find("harbor refugee suport") == "HRS"
    assert find("northside care") == "NCL"


def test_ambiguous_or_distant_queries_match_nothing_but_suggest() -> None:
    ambiguous = best_match("n", NAMES, lambda item: item)
    assert ambiguous.found is None
    assert best_match("zzzz", NAMES, lambda item: item).suggestions == []
    near = best_match("Northside Care Leavers Scotland", NAMES, lambda item: item)
    assert near.found is None or near.found[1] == "NCL"


@given(st.text(max_size=80))
def test_matching_never_fails_on_any_text(query: str) -> None:
    match = best_match(query, NAMES, lambda item: item)
    assert match.found is None or match.found in NAMES
    assert len(match.suggestions) <= 3
    assert isinstance(normalise(query), str)


def test_an_event_is_accepted_once_even_by_concurrent_deliveries(engine: Engine) -> None:
    inbox = Inbox(engine)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: inbox.accept("e", {}, "Ev0RACE"), range(16)))
    assert len([item for item in results if item is not None]) == 16 - results.count(None) == 1


def test_a_read_scope_never_holds_up_a_writer_and_refuses_to_write(engine: Engine) -> None:
    """Reads leave SQLite's one write lock to the writers (the inbox's stores a request before
    it is acknowledged); a write slipped into a read scope fails, so it cannot go unnoticed."""
    with read_scope(engine) as reading:
        reading.exec(select(Topic)).all()
        with ThreadPoolExecutor(max_workers=1) as pool:  # another thread writes meanwhile
            written = pool.submit(write_topic, engine, "Housing")
            assert written.result(timeout=5) == "Housing"
    with pytest.raises(DBAPIError), read_scope(engine) as reading:
        reading.add(Topic(name="Health"))
        reading.flush()
    with session_scope(engine) as writing:  # the connection goes back to the pool writable
        writing.add(Topic(name="Health"))


def write_topic(engine: Engine, name: str) -> str:
    with session_scope(engine) as session:
        session.add(Topic(name=name))
    return name
