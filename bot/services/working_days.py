"""Working days: Monday to Friday, less the UK bank holidays of the partnership's nation.

Bank holidays come from the maintained `holidays` package (Scotland's differ from England's),
never from a hand-made list that silently goes out of date.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as schedules and offers name them
REGIONS = {"england": "ENG", "scotland": "SCT", "wales": "WLS", "northern ireland": "NIR"}
DEFAULT_REGION = "ENG"


def region_code(name: str) -> str:
    """ "scotland" or "SCT" → "SCT"; ValueError naming the choices otherwise."""
    wanted = " ".join(name.strip().lower().replace("-", " ").split())
    if wanted.upper() in REGIONS.values():
        return wanted.upper()
    if wanted in REGIONS:
        return REGIONS[wanted]
    raise ValueError(f"should be one of {', '.join(REGIONS)}")


@lru_cache(maxsize=8)
def _bank_holidays(region: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=region)


class WorkingDays:
    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self.holidays = _bank_holidays(region)

    def bank_holiday(self, day: date) -> str | None:
        """The holiday's name, or None on an ordinary day."""
        return self.holidays.get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_after(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def before(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day
