"""A guard against posting a client's personal data to a channel that several organisations share.

Partners write free text (updates, opportunities, commitments) quickly, often straight from a
case conversation. Before the bot posts it, `scan` looks for what could identify a client: contact
details, government and health numbers, dates of birth and home postcodes. The rules favour
recall on real identifiers while staying quiet on ordinary partnership prose: helplines, generic
team inboxes, event dates, money, times and age ranges are not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MASK = "•"


class Kind(StrEnum):
    """What was found; the value is a short human label."""

    EMAIL = "email address"
    PHONE = "UK phone number"
    NI_NUMBER = "National Insurance number"
    NHS_NUMBER = "NHS number"
    HOME_OFFICE_REF = "Home Office reference"
    DATE_OF_BIRTH = "date of birth"
    POSTCODE = "full UK postcode"


@dataclass(frozen=True)
class Finding:
    """One suspected identifier: where it is, and a masked copy safe to show back to the author."""

    kind: Kind
    masked: str
    start: int
    end: int


WHY_IT_MATTERS = (
    "This channel is shared by several organisations, so anything posted here is seen by people "
    "outside your agency. Under UK GDPR a client's details belong in your own organisation's case "
    "records, not in a partnership chat. Share the service, not the person: describe the need "
    "and let partners contact you to make a referral."
)

_EXPLANATIONS = {
    Kind.EMAIL: "A personal email address leads straight to one person.",
    Kind.PHONE: "A mobile or home phone number reaches one person directly.",
    Kind.NI_NUMBER: "A National Insurance number is unique to one person for life.",
    Kind.NHS_NUMBER: "An NHS number is unique to one patient and links to their health records.",
    Kind.HOME_OFFICE_REF: "A Home Office reference identifies one person's immigration case.",
    Kind.DATE_OF_BIRTH: "A date of birth, with almost any other detail, singles out one person.",
    Kind.POSTCODE: "A full postcode narrows an address down to a handful of homes.",
}


def explain(kind: Kind) -> str:
    """One sentence on why this kind of item identifies someone, for the warning message."""
    return _EXPLANATIONS[kind]


def _mask(text: str, keep_start: int = 0, keep_end: int = 0) -> str:
    """Replace letters and digits with •, keeping the first and last few so the author knows
    which item is meant; punctuation and spaces stay so the shape is recognisable."""
    positions = [i for i, char in enumerate(text) if char.isalnum()]
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join(MASK if i in hidden else char for i, char in enumerate(text))


# --- Email -----------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])(?P<local>[a-z0-9._%+-]+)@(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
    r"(?![\w-])",
    re.IGNORECASE | re.ASCII,
)
# Team inboxes are published on websites and letterheads; they are not anyone's personal data.
GENERIC_MAILBOXES = frozenset(
    {
        "admin",
        "bookings",
        "contact",
        "enquiries",
        "enquiry",
        "events",
        "hello",
        "help",
        "info",
        "mail",
        "office",
        "reception",
        "referral",
        "referrals",
        "support",
        "team",
        "training",
        "volunteer",
        "volunteering",
        "volunteers",
    }
)


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        local, domain = match["local"], match["domain"]
        if re.split(r"[._+-]", local.lower())[0] in GENERIC_MAILBOXES:
            continue
        first_label, _, rest = domain.partition(".")
        masked = f"{local[0]}{MASK * 3}@{first_label[0]}{MASK * 3}.{rest}"
        yield Finding(Kind.EMAIL, masked, match.start(), match.end())


# --- Phone -----------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+£$€/.-])(?P<intl>\+44[ -]?(?:\(0\)[ -]?)?)?(?(intl)|\(?0)[0-9][0-9 ()-]{7,16}[0-9]"
    r"(?![\w/:]|[.,][0-9])",
    re.ASCII,
)


def _phones(text: str) -> Iterator[Finding]:
    for match in _PHONE.finditer(text):
        digits = re.sub(r"[^0-9]", "", match[0])
        if match["intl"]:
            digits = "0" + digits[2:].removeprefix("0")
        # Mobiles and geographic numbers reach a person; 03, 08 and 09 numbers are helplines.
        personal = (len(digits) == 11 and digits[:2] in {"01", "02", "07"}) or (
            len(digits) == 10 and digits.startswith("01")
        )
        if not personal:
            continue
        prefix = match["intl"] or ""
        number = match[0][len(prefix) :]
        masked = prefix + _mask(number, 1 if prefix else 2, 3)
        yield Finding(Kind.PHONE, masked, match.start(), match.end())


# --- National Insurance number ---------------------------------------------------------------

_NI = re.compile(
    r"(?<![a-z0-9])(?P<prefix>[a-z]{2}) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[a-d](?![a-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_NI_FIRST = set("ABCEGHJKLMNOPRSTWXYZ")
_NI_SECOND = _NI_FIRST - {"O"}
_NI_NEVER = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
# HMRC never issues QQ, but it is the specimen on forms and guidance, so staff copy it as if real.
_NI_SPECIMEN = "QQ"


def _ni_numbers(text: str) -> Iterator[Finding]:
    for match in _NI.finditer(text):
        prefix = match["prefix"].upper()
        valid = prefix[0] in _NI_FIRST and prefix[1] in _NI_SECOND and prefix not in _NI_NEVER
        if valid or prefix == _NI_SPECIMEN:
            yield Finding(Kind.NI_NUMBER, _mask(match[0], 2, 1), match.start(), match.end())


# --- NHS number ------------------------------------------------------------------------------

_NHS = re.compile(
    r"(?<![\w/.-])[0-9]{3}(?P<sep>[ -]?)[0-9]{3}(?P=sep)[0-9]{4}(?![\w/-]|[.,][0-9])", re.ASCII
)


def _nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no valid number can end them."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    return {11: 0, 10: None}.get(check, check)


def _nhs_numbers(text: str) -> Iterator[Finding]:
    for match in _NHS.finditer(text):
        digits = re.sub(r"[^0-9]", "", match[0])
        if _nhs_check_digit(digits[:9]) == int(digits[9]):
            yield Finding(Kind.NHS_NUMBER, _mask(match[0], 3), match.start(), match.end())


# --- Home Office reference -------------------------------------------------------------------

_HO_SHAPES = re.compile(
    r"(?<![\w/-])(?:[A-Z][0-9]{7}(?:/[0-9]+)?|GWF[0-9]{9}|[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{4})"
    r"(?![\w/-])",
    re.ASCII,
)
_HO_LABELLED = re.compile(
    r"\b(?:HO|Home\s+Office)\s+ref(?:erence)?\b\.?(?:\s+(?:no\.?|number))?[\s:#-]*"
    r"(?P<id>(?=[a-z/-]*[0-9])[a-z0-9][a-z0-9/-]{3,}[a-z0-9])",
    re.IGNORECASE | re.ASCII,
)


def _home_office_refs(text: str) -> Iterator[Finding]:
    for match in _HO_SHAPES.finditer(text):
        yield Finding(Kind.HOME_OFFICE_REF, _mask(match[0], 1, 2), match.start(), match.end())
    for match in _HO_LABELLED.finditer(text):
        start, end = match.span("id")
        yield Finding(Kind.HOME_OFFICE_REF, _mask(match["id"], 1, 2), start, end)


# --- Date of birth ---------------------------------------------------------------------------

_MONTH_PATTERNS = (
    "jan(?:uary)?",
    "feb(?:ruary)?",
    "mar(?:ch)?",
    "apr(?:il)?",
    "may",
    "june?",
    "july?",
    "aug(?:ust)?",
    "sep(?:t|tember)?",
    "oct(?:ober)?",
    "nov(?:ember)?",
    "dec(?:ember)?",
)
_MONTH_NAMES = "|".join(_MONTH_PATTERNS)
_DATE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?P<d>[0-9]{1,2})(?P<sep>[/.-])(?P<m>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})"
    r"|(?P<iy>[0-9]{4})-(?P<im>[0-9]{2})-(?P<id>[0-9]{2})"
    rf"|(?P<td>[0-9]{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<tm>{_MONTH_NAMES})\.?,?\s+"
    r"(?P<ty>[0-9]{4})"
    rf"|(?P<um>{_MONTH_NAMES})\.?\s+(?P<ud>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<uy>[0-9]{{4}})"
    r")(?![\w/-]|\.[0-9])",
    re.IGNORECASE | re.ASCII,
)
_CUE = r"\bd\.?o\.?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b"
# A birth cue a few words before the date: "DOB: 03/04/2008", "born on the 12th of March 1990".
# A birthday can be next year's party, so that cue also needs a date that could be a birth.
_CUE_BEFORE = re.compile(
    rf"(?:(?P<strong>{_CUE}|(?<![\w.])b\.)|\bbirthday\b)"
    r"(?P<gap>[^\w.;!?]*(?:\w+[^\w.;!?]+){0,3})$",
    re.IGNORECASE,
)
# Words between cue and date that mean the date is about something else: "DOB unknown, arrived".
_CUE_BROKEN = re.compile(r"\b(?:not|no|unknown|and|but|then)\b", re.IGNORECASE)
_CUE_AFTER = re.compile(rf"^\W{{0,3}}(?:{_CUE}|\bbirthday\b)", re.IGNORECASE)
_AGE_NEARBY = re.compile(r"\baged?\s*:?\s*(?P<age>[0-9]{1,3})\b(?!\s*[-–]|\s+to\b)", re.IGNORECASE)
_WINDOW = 50


def _month_number(name: str) -> int:
    return next(
        number
        for number, pattern in enumerate(_MONTH_PATTERNS, start=1)
        if re.fullmatch(pattern, name, re.IGNORECASE)
    )


def _parse_date(match: re.Match[str], today: date) -> tuple[date, str] | None:
    """The date a match names, and which group holds its year (kept visible when masking)."""
    if match["d"]:
        day, month, year, year_group = match["d"], match["m"], match["y"], "y"
    elif match["iy"]:
        day, month, year, year_group = match["id"], match["im"], match["iy"], "iy"
    elif match["td"]:
        day, month, year, year_group = match["td"], _month_number(match["tm"]), match["ty"], "ty"
    else:
        day, month, year, year_group = match["ud"], _month_number(match["um"]), match["uy"], "uy"
    full_year = int(year)
    if len(year) == 2:  # a two-digit year of birth is in the past: 08 is 2008, 62 is 1962
        full_year += 2000 if 2000 + full_year <= today.year else 1900
    try:
        return date(full_year, int(month), int(day)), year_group
    except ValueError:
        return None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _looks_like_birth(text: str, start: int, end: int, born: date, today: date) -> bool:
    """An explicit cue just before the date, or a plausible birth date near a birth or age cue
    (whose age must agree with the date), so that event and deadline dates stay unflagged."""
    before = text[max(0, start - _WINDOW) : start]
    cue = _CUE_BEFORE.search(before)
    if cue and cue["strong"] and not _CUE_BROKEN.search(cue["gap"]):
        return True
    age = _age(born, today)
    if not 0 <= age <= 110:
        return False
    after = text[end : end + _WINDOW]
    if (cue and not _CUE_BROKEN.search(cue["gap"])) or _CUE_AFTER.search(after):
        return True
    return any(abs(int(m["age"]) - age) <= 1 for m in _AGE_NEARBY.finditer(f"{before} {after}"))


def _dates_of_birth(text: str) -> Iterator[Finding]:
    today = date.today()
    for match in _DATE.finditer(text):
        parsed = _parse_date(match, today)
        if parsed is None or not _looks_like_birth(text, *match.span(), parsed[0], today):
            continue
        year_start, year_end = (i - match.start() for i in match.span(parsed[1]))
        found = match[0]
        masked = _mask(found[:year_start]) + found[year_start:year_end] + _mask(found[year_end:])
        yield Finding(Kind.DATE_OF_BIRTH, masked, match.start(), match.end())


# --- Postcode --------------------------------------------------------------------------------

_POSTCODE = re.compile(
    r"(?<![a-z0-9])(?P<outward>[a-pr-uwyz](?:[0-9][0-9a-z]?|[a-hk-y][0-9][0-9a-z]?))"
    r" ?(?P<inward>[0-9][abd-hjlnp-uw-z]{2})(?![a-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_ORDINAL = re.compile(r"1st|2nd|3rd|[0-9]th")


def _postcodes(text: str) -> Iterator[Finding]:
    for match in _POSTCODE.finditer(text):
        inward = match["inward"]
        if inward.islower() and _ORDINAL.fullmatch(inward):  # "room b2 3rd floor"
            continue
        keep = len(match["outward"])
        yield Finding(Kind.POSTCODE, _mask(match[0], keep), match.start(), match.end())


# --- Scan ------------------------------------------------------------------------------------

# On a tie the earlier detector wins: an explicitly labelled Home Office reference beats a
# checksum-valid NHS number, which beats a ten-digit string that merely looks like a phone number.
_DETECTORS: tuple[Callable[[str], Iterator[Finding]], ...] = (
    _emails,
    _home_office_refs,
    _nhs_numbers,
    _ni_numbers,
    _phones,
    _dates_of_birth,
    _postcodes,
)


def scan(text: str) -> list[Finding]:
    """Everything in the text that looks like a client's personal data, in order of position.

    Where detectors claim overlapping text, the earlier and then the longer match wins, so each
    character is reported at most once.
    """
    candidates = sorted(
        (finding for detect in _DETECTORS for finding in detect(text)),
        key=lambda f: (f.start, f.start - f.end),
    )
    findings: list[Finding] = []
    for finding in candidates:
        if not findings or finding.start >= findings[-1].end:
            findings.append(finding)
    return findings
