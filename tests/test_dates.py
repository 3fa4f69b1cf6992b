"""UK-style dates as people type them in commands."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.dates import DateError, format_date, parse_date

SUNDAY = date(2026, 11, 22)
THURSDAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", SUNDAY),
        ("Tomorrow", date(2026, 11, 23)),
        ("yesterday", date(2026, 11, 21)),
        ("tue", date(2026, 11, 24)),
        ("Tuesday.", date(2026, 11, 24)),
        ("thurs", date(2026, 11, 26)),
        ("sun", date(2026, 11, 29)),  # a day name is the next one after today
        ("next tuesday", date(2026, 11, 24)),  # the Tuesday of the week starting next Monday
        ("next mon", date(2026, 11, 23)),
        ("24/11", date(2026, 11, 24)),
        ("5/1", date(2027, 1, 5)),  # already passed this year: next year's
        ("22/11", SUNDAY),
        ("24/11/2026", date(2026, 11, 24)),
        ("24/11/27", date(2027, 11, 24)),
        ("24-11-2026", date(2026, 11, 24)),
        ("24.11.2026", date(2026, 11, 24)),
        ("2026-11-24", date(2026, 11, 24)),
        ("24 Nov", date(2026, 11, 24)),
        ("24th November 2026", date(2026, 11, 24)),
        ("Nov 24", date(2026, 11, 24)),
        ("November 24th, 2027", date(2027, 11, 24)),
        ("Tue 24 Nov", date(2026, 11, 24)),
        ("29/02/2028", date(2028, 2, 29)),
        ("29/02", date(2028, 2, 29)),
    ],
)
def test_uk_style_dates(text: str, expected: date) -> None:
    assert parse_date(text, SUNDAY) == expected


def test_a_day_name_on_that_day_means_next_week() -> None:
    assert parse_date("thu", THURSDAY) == date(2026, 12, 3)
    assert parse_date("next thursday", THURSDAY) == date(2026, 12, 3)
    assert parse_date("next tuesday", THURSDAY) == date(2026, 12, 1)


@pytest.mark.parametrize(
    "text", ["", "   ", "31/02", "00/11", "29/02/2027", "someday", "32 Nov", "13/13/2026"]
)
def test_unreadable_dates_say_what_works(text: str) -> None:
    with pytest.raises(DateError) as error:
        parse_date(text, SUNDAY)
    assert "Try 24/11, 24/11/2026, tomorrow, thu, next thursday or 2026-11-24" in str(error.value)


def test_a_day_name_that_disagrees_with_the_date_is_named() -> None:
    with pytest.raises(DateError, match="24 November 2026 is a Tuesday, not a Wednesday"):
        parse_date("Wed 24/11", SUNDAY)


def test_format_date_is_short_and_friendly() -> None:
    assert format_date(SUNDAY, SUNDAY) == "today"
    assert format_date(date(2026, 11, 23), SUNDAY) == "tomorrow"
    assert format_date(date(2026, 11, 24), SUNDAY) == "Tue 24 Nov"
    assert format_date(date(2027, 1, 5), SUNDAY) == "Tue 5 Jan 2027"


@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_date_error(text: str) -> None:
    with contextlib.suppress(DateError):
        assert isinstance(parse_date(text, SUNDAY), date)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_full_dates_round_trip(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y"), SUNDAY) == day
    assert parse_date(day.isoformat(), SUNDAY) == day
