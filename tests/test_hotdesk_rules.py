"""Hot desks' pure booking rules, checked directly: no database, no Slack (the end-to-end tests
in test_hotdesk drive the same rules through Slack on both databases)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.directory import OrganisationRef
from bot.services.hotdesk.rules import (
    ALTERNATIVES_MAX,
    approval_deadline,
    check_bookable,
    closed_reason,
    free_cell,
    nearest_free,
    offer_errors,
    open_for_booking,
)
from bot.services.hotdesk.types import Cell, Host, HotdeskProblem, OfferEdit, Part, Slot
from bot.services.working_days import WorkingDays

LONDON = ZoneInfo("Europe/London")
WORKING = WorkingDays()  # England and Wales
MONDAY = date(2026, 11, 23)
CHRISTMAS = date(2026, 12, 25)  # a Friday


def host(code: str = "HRS", **changes: object) -> Host:
    values: dict = {
        "code": code, "name": f"Agency {code}", "address": "", "protocol": "", "key_workers": (),
        "desks": 2, "weekdays": ("mon", "tue", "wed", "thu", "fri"), "half_days": True,
        "needs_approval": False, "max_days_ahead": 60, "closures": (),
        "closed_on_bank_holidays": True,
    }  # fmt: skip
    return Host(**(values | changes))


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def no_alternatives() -> list[Slot]:
    raise AssertionError("alternatives are looked for only when the agency is closed that day")


# When an agency is open ------------------------------------------------------------------------


def test_an_agency_is_closed_on_days_it_does_not_lend_on_its_closures_and_bank_holidays() -> None:
    mondays = host(weekdays=("mon",))
    assert closed_reason(mondays, MONDAY, WORKING) is None
    assert (
        closed_reason(mondays, date(2026, 11, 24), WORKING) == "Agency HRS lends desks on Mon only"
    )
    shut = host(closures=(MONDAY,))
    assert closed_reason(shut, MONDAY, WORKING) == "Agency HRS is closed on Mon 23 Nov"
    assert closed_reason(host(), CHRISTMAS, WORKING) == (
        "Fri 25 Dec is a bank holiday (Christmas Day) and Agency HRS is closed"
    )
    assert closed_reason(host(closed_on_bank_holidays=False), CHRISTMAS, WORKING) is None


def test_requests_close_at_five_the_working_day_before_skipping_weekends_and_holidays() -> None:
    assert approval_deadline(MONDAY, WORKING, LONDON) == at(date(2026, 11, 20), 17)
    assert approval_deadline(date(2026, 12, 29), WORKING, LONDON) == at(date(2026, 12, 24), 17)


def test_open_for_booking_needs_an_open_day_within_reach_and_before_the_deadline() -> None:
    friday_noon = at(date(2026, 11, 20), 12)
    assert open_for_booking(host(), MONDAY, WORKING, friday_noon)
    assert not open_for_booking(host(), CHRISTMAS, WORKING, friday_noon)
    assert not open_for_booking(host(max_days_ahead=2), MONDAY, WORKING, friday_noon)
    approving = host(needs_approval=True)
    assert open_for_booking(approving, MONDAY, WORKING, friday_noon)
    assert not open_for_booking(approving, MONDAY, WORKING, at(date(2026, 11, 20), 17))


def test_a_half_of_today_that_is_over_has_no_free_desks() -> None:
    free = {"am": 2, "pm": 1}
    assert free_cell(MONDAY, at(MONDAY, 12), free) == Cell(2, 1)
    assert free_cell(MONDAY, at(MONDAY, 13), free) == Cell(0, 1)
    assert free_cell(MONDAY, at(MONDAY, 17), free) == Cell(0, 0)
    assert free_cell(MONDAY, at(date(2026, 11, 22), 18), free) == Cell(2, 1)


# What may be booked ------------------------------------------------------------------------------

FRIDAY_NOON = at(date(2026, 11, 20), 12)


@pytest.mark.parametrize(
    ("changes", "own", "day", "part", "now", "field", "says"),
    [
        ({}, "HRS", MONDAY, Part.DAY, FRIDAY_NOON, "host", "your own organisation"),
        ({"half_days": False}, "NLC", MONDAY, Part.AM, FRIDAY_NOON, "part", "whole days only"),
        ({}, "NLC", date(2026, 11, 19), Part.DAY, FRIDAY_NOON, "day", "has passed"),
        ({}, "NLC", MONDAY, Part.AM, at(MONDAY, 13), "day", "Mon 23 Nov 2026 is over"),
        ({"max_days_ahead": 2}, "NLC", MONDAY, Part.DAY, FRIDAY_NOON, "day", "2 days ahead"),
        ({"needs_approval": True}, None, MONDAY, Part.DAY, at(date(2026, 11, 20), 17), "day",
         "too soon"),
    ],
)  # fmt: skip
def test_a_booking_that_breaks_a_rule_is_refused_on_its_field(
    changes: dict, own: str | None, day: date, part: Part, now: datetime, field: str, says: str
) -> None:
    with pytest.raises(HotdeskProblem) as refused:
        check_bookable(host(**changes), own, day, part, now, WORKING, no_alternatives)
    assert refused.value.field == field and says in str(refused.value)
    assert refused.value.alternatives == []


def test_a_closed_day_is_refused_with_the_alternatives_offered() -> None:
    nearby = [Slot(OrganisationRef("HRS", "Agency HRS"), date(2026, 12, 24), Part.AM, 1)]
    with pytest.raises(HotdeskProblem) as refused:
        check_bookable(host(), "NLC", CHRISTMAS, Part.DAY, FRIDAY_NOON, WORKING, lambda: nearby)
    assert str(refused.value).startswith("Fri 25 Dec is a bank holiday")
    assert refused.value.alternatives == nearby and refused.value.field == "day"


def test_a_booking_within_the_rules_passes_without_looking_for_alternatives() -> None:
    check_bookable(host(), "NLC", MONDAY, Part.PM, at(MONDAY, 12), WORKING, no_alternatives)
    check_bookable(host(needs_approval=True), None, MONDAY, Part.DAY, FRIDAY_NOON, WORKING, list)


# Alternatives ------------------------------------------------------------------------------------


def test_the_nearest_free_slots_are_the_same_agency_first_then_the_nearest_day_then_part() -> None:
    here, there = host("HRS"), host("NLC", half_days=False)
    days = [date(2026, 11, 23 + n) for n in range(4)]
    cells: dict[tuple[str, date], Cell | None] = {
        ("HRS", days[0]): Cell(1, 1),
        ("HRS", days[1]): None,
        ("HRS", days[2]): Cell(0, 2),
        ("HRS", days[3]): Cell(1, 0),
        ("NLC", days[0]): Cell(3, 3),
    }
    found = nearest_free([there, here], cells, days, ("HRS", days[0], Part.DAY))
    assert [(s.host.code, s.day.day, s.part, s.free) for s in found] == [
        ("HRS", 23, Part.AM, 1),  # the whole day asked for is left out; its halves are nearest
        ("HRS", 23, Part.PM, 1),
        ("HRS", 25, Part.PM, 2),
        ("HRS", 26, Part.AM, 1),
    ]
    assert len(found) == ALTERNATIVES_MAX
    elsewhere = nearest_free([there, here], cells, days[:1], ("XYZ", days[0], Part.DAY))
    assert [(s.host.code, s.part) for s in elsewhere][:2] == [("NLC", Part.DAY), ("HRS", Part.DAY)]


# The offer form ----------------------------------------------------------------------------------


def test_offer_errors_name_each_field_that_is_wrong() -> None:
    good = OfferEdit(
        desks=2, weekdays=("mon",), half_days=True, needs_approval=False, closures=(),
        closed_on_bank_holidays=True, max_days_ahead=60, address="1 High St", protocol="Ring",
        key_worker_ids=(),
    )  # fmt: skip
    assert offer_errors(good) == {}
    bad = OfferEdit(
        desks=0, weekdays=(), half_days=True, needs_approval=False, closures=(),
        closed_on_bank_holidays=True, max_days_ahead=400, address="a" * 501, protocol="p" * 2001,
        key_worker_ids=(),
    )  # fmt: skip
    assert offer_errors(bad) == {
        "desks": "Give a number of desks from 1 to 50.",
        "weekdays": "Choose at least one day of the week.",
        "max_days_ahead": "Give a number of days from 1 to 365.",
        "protocol": "That's 2001 characters; the limit is 2000.",
        "address": "That's 501 characters; the limit is 500.",
    }
