"""The glossary's rules, without a database: terms, meanings, acronyms and the snapshot."""

from __future__ import annotations

import pytest

from bot.services.glossary.rules import (
    Snapshot,
    acronyms,
    check_term,
    normalise,
    pair,
    split_meaning,
    split_term,
    stoplist,
)
from bot.services.glossary.types import GlossaryProblem


def test_a_term_is_filed_without_case_spacing_or_outer_punctuation() -> None:
    assert normalise("  “ISP”. ") == "isp"
    assert normalise("Hot   Desk") == "hot desk"
    assert check_term(" (ISP) ") == "ISP"


@pytest.mark.parametrize(("term", "message"), [("", "Which term?"), ("..", "Which term?"),
                                               ("x" * 41, "at most 40")])  # fmt: skip
def test_a_term_is_one_to_forty_characters(term: str, message: str) -> None:
    with pytest.raises(GlossaryProblem, match=message):
        check_term(term)
    assert check_term("x" * 40) == "x" * 40


def test_a_meaning_and_its_description_are_split_at_a_dash() -> None:
    assert split_meaning("Individual Support Plan — the plan") == (
        "Individual Support Plan",
        "the plan",
    )
    assert split_meaning("Individual Support Plan - the plan")[1] == "the plan"
    assert split_meaning("Trauma-informed practice") == ("Trauma-informed practice", "")
    with pytest.raises(GlossaryProblem, match="What does it mean"):
        split_meaning("  ")
    with pytest.raises(GlossaryProblem, match="at most 150"):
        split_meaning("x" * 151)


def test_a_quoted_phrase_is_one_term() -> None:
    assert split_term('"hot desk" a desk lent') == ("hot desk", "a desk lent")
    assert split_term("ISP Individual Support Plan") == ("ISP", "Individual Support Plan")
    assert split_term("") == ("", "")


def test_a_synonym_of_itself_is_refused() -> None:
    assert pair("itp", "isp") == ("isp", "itp")
    with pytest.raises(GlossaryProblem, match="same as itself"):
        pair("isp", "isp")


def test_acronyms_are_two_to_six_capitals_standing_alone() -> None:
    text = "ISP and A or ABCDEFG, U0OTHER <@U0AMINA> https://EXAMPLE.org jo@NHS.net #HRS PIP ISP"
    assert acronyms(text) == ["ISP", "PIP"]


def test_the_snapshot_explains_known_terms_and_suggests_one_unknown() -> None:
    known = Snapshot(
        {"isp": ("ISP", "Individual Support Plan"), "hot desk": ("hot desk", "A desk lent")},
        frozenset({"isp", "hot desk", "itp"}),
        stoplist(["uasc"]),
    )
    assert known.explained("A Hot Desk for the isp review") == [
        ("hot desk", "A desk lent"),
        ("ISP", "Individual Support Plan"),
    ]
    assert known.explained("whisper") == []
    assert known.unknown_acronym("ITP, UASC and NHS, then DWP and PIP") == "DWP"
    assert known.unknown_acronym("OK, the NHS and UASC") is None
