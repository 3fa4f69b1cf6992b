"""Opportunities' pure rules, checked directly: no database, no Slack (test_opportunities drives
the same rules end to end through Slack on both databases)."""

from __future__ import annotations

from datetime import date

from bot.services.opportunities.rules import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    check,
    looks_alike,
    personal_findings,
    tidy,
)
from bot.services.opportunities.types import OpportunityInput
from bot.services.privacy import Kind

TODAY = date(2026, 11, 24)


def test_a_sound_opportunity_has_no_problems() -> None:
    sound = OpportunityInput(
        "training", "Trauma-informed practice", "Two mornings.", "https://example.org/t",
        closes_on=TODAY, event_on=TODAY, places=12,
    )  # fmt: skip
    assert check(sound, TODAY) == {}


def test_check_names_every_field_that_is_wrong() -> None:
    wrong = OpportunityInput(
        "party", "  ", "d" * (DESCRIPTION_MAX + 1), "ftp://example.org",
        closes_on=date(2026, 11, 23), event_on=date(2026, 11, 1), places=0,
    )  # fmt: skip
    errors = check(wrong, TODAY)
    assert errors == {
        "kind": "Choose a kind: training, event, funding, vacancy, volunteering, other.",
        "title": "Give it a title.",
        "description": f"That's {DESCRIPTION_MAX + 1} characters; the limit is {DESCRIPTION_MAX}.",
        "link": errors["link"],
        "closes_on": "23 Nov 2026 has passed; closing dates are today or later.",
        "event_on": "1 Nov 2026 has passed.",
        "places": "Places must be a whole number above 0.",
    }
    assert errors["link"].startswith("A link must start with http:// or https://.")


def test_titles_and_links_over_their_limits_are_refused_with_their_length() -> None:
    long = OpportunityInput("other", "t" * (TITLE_MAX + 1), link="https://e.org/" + "x" * 500)
    errors = check(long, TODAY)
    assert errors["title"] == f"That title is {TITLE_MAX + 1} characters; the limit is {TITLE_MAX}."
    assert errors["link"] == "That link is 514 characters; the limit is 500."


def test_tidy_reads_kind_words_trims_and_drops_what_the_kind_has_no_place_for() -> None:
    typed = OpportunityInput(
        "Jobs", "  Support   worker ", " Full time ", "  ", event_on=TODAY, places=3,
        organisation="HRS",
    )  # fmt: skip
    assert tidy(typed) == OpportunityInput(
        "vacancy", "Support worker", "Full time", None, organisation="HRS"
    )
    course = tidy(OpportunityInput("training", "First aid", event_on=TODAY, places=8))
    assert (course.kind, course.event_on, course.places) == ("training", TODAY, 8)
    typed_course = tidy(OpportunityInput("Course", "First aid", event_on=TODAY, places=8))
    assert (typed_course.kind, typed_course.event_on, typed_course.places) == ("training", TODAY, 8)


def test_the_same_link_or_an_almost_identical_title_looks_shared_already() -> None:
    attempt = OpportunityInput("event", "Winter open day!", link="https://www.example.org/open/")
    assert looks_alike("Something else", "http://example.org/open", attempt)
    assert looks_alike("Winter open day", None, attempt)
    assert not looks_alike("Summer fete", "https://example.org/fete", attempt)
    assert not looks_alike("Summer fete", None, OpportunityInput("event", "Winter open day"))


def test_personal_findings_look_in_the_title_the_description_and_the_link() -> None:
    attempt = OpportunityInput("event", "Drop-in", "Call Jo on 07700 900123")
    assert [finding.kind for finding in personal_findings(attempt)] == [Kind.PHONE]
    assert personal_findings(OpportunityInput("event", "Drop-in", "Tuesdays")) == []
