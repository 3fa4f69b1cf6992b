"""A guard against posting a client's personal data to a channel that several organisations share.

Partners write free text (updates, opportunities, commitments) quickly, often straight from a
case conversation. Before the bot posts it, `scan` looks for what could identify a client: contact
details, government and health numbers, dates of birth and home postcodes. The rules favour
recall on real identifiers while staying quiet on ordinary partnership prose: helplines, generic
team inboxes, event dates, money, times and age ranges are not flagged. Text pasted from Word,
Outlook or a phone keyboard is normalised before matching, but findings point into, and mask, the
author's own characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.services.privacy_names import NOBODY, KnownPeople, client_names

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
    CLIENT_NAME = "client's name"


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
    Kind.CLIENT_NAME: (
        "A name with an age or circumstance identifies one person; describe the need, "
        "not the person."
    ),
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


# --- Normalisation ---------------------------------------------------------------------------

# Word and Outlook paste non-breaking spaces, keyboards autocorrect hyphens into dashes, CJK input
# methods type fullwidth letters and digits, and web pages carry invisible characters. The
# patterns are written for plain ASCII, so each of these is folded to what it looks like.
_SPACES = frozenset("\u202f\u2007")  # with every other Unicode space separator (Zs)
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


def _fold(char: str) -> str:
    if char in _INVISIBLE:
        return ""
    if char in _DASHES:
        return "-"
    if char in _SPACES or unicodedata.category(char) == "Zs":
        return " "
    return char


def _clusters(text: str) -> Iterator[tuple[int, int]]:
    """Spans of a character and the combining marks after it, which NFKC may compose together."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            yield start, i
            start = i


@dataclass(frozen=True)
class _Source:
    """The normalised text that detectors match, and where each of its characters came from, so
    that findings can point into and mask the text the author actually wrote."""

    original: str
    text: str
    starts: Sequence[int]  # for each normalised character, the start of its original cluster
    ends: Sequence[int]  # ... and the end

    @classmethod
    def of(cls, original: str) -> _Source:
        if original.isascii():  # nothing to fold
            return cls(original, original, range(len(original)), range(1, len(original) + 1))
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for start, end in _clusters(original):
            nfkc = unicodedata.normalize("NFKC", original[start:end])
            piece = "".join(_fold(char) for char in nfkc)
            pieces.append(piece)
            starts += [start] * len(piece)
            ends += [end] * len(piece)
        return cls(original, "".join(pieces), starts, ends)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind a non-empty normalised span."""
        return self.starts[start], self.ends[end - 1]

    def finding(self, kind: Kind, start: int, end: int, masked: str) -> Finding:
        """A finding for a normalised span whose mask keeps its length. Every original letter,
        number or symbol behind a masked character is masked (a symbol such as ⒈ may hide a
        digit); spaces, punctuation and marks are shown as written."""
        hidden = {
            i
            for offset, (seen, shown) in enumerate(zip(self.text[start:end], masked, strict=True))
            if seen != shown
            for i in range(self.starts[start + offset], self.ends[start + offset])
        }
        first, last = self.span(start, end)
        shown = "".join(
            MASK
            if i in hidden and unicodedata.category(self.original[i])[0] in "LNS"
            else self.original[i]
            for i in range(first, last)
        )
        return Finding(kind, shown, first, last)


def normalise(text: str) -> str:
    """The text as the detectors see it: NFKC, every space an ASCII space, every dash a hyphen,
    zero-width characters and soft hyphens removed, so pasted text matches like typed text."""
    return _Source.of(text).text


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


def _emails(src: _Source) -> Iterator[Finding]:
    for match in _EMAIL.finditer(src.text):
        local, domain = match["local"], match["domain"]
        if re.split(r"[._+-]", local.lower())[0] in GENERIC_MAILBOXES:
            continue
        # Shown as written, keeping only the first character of the name and of the host.
        start, end = src.span(*match.span())
        at = src.span(match.start("domain") - 1, match.start("domain"))
        host = src.starts[match.start("domain")]
        dot = src.starts[match.start("domain") + domain.index(".")]
        original = src.original
        masked = (
            f"{original[start]}{MASK * 3}{original[slice(*at)]}"
            f"{original[host]}{MASK * 3}{original[dot:end]}"
        )
        yield Finding(Kind.EMAIL, masked, start, end)


# --- Phone -----------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+£$€/.-])(?P<intl>\+44[ -]?(?:\(0\)[ -]?)?)?(?(intl)|\(?0)[0-9][0-9 ()-]{7,16}[0-9]"
    r"(?![\w/:]|[.,][0-9])",
    re.ASCII,
)


def _phones(src: _Source) -> Iterator[Finding]:
    for match in _PHONE.finditer(src.text):
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
        yield src.finding(Kind.PHONE, *match.span(), masked)


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


def _ni_numbers(src: _Source) -> Iterator[Finding]:
    for match in _NI.finditer(src.text):
        prefix = match["prefix"].upper()
        valid = prefix[0] in _NI_FIRST and prefix[1] in _NI_SECOND and prefix not in _NI_NEVER
        if valid or prefix == _NI_SPECIMEN:
            yield src.finding(Kind.NI_NUMBER, *match.span(), _mask(match[0], 2, 1))


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


def _nhs_numbers(src: _Source) -> Iterator[Finding]:
    for match in _NHS.finditer(src.text):
        digits = re.sub(r"[^0-9]", "", match[0])
        if _nhs_check_digit(digits[:9]) == int(digits[9]):
            yield src.finding(Kind.NHS_NUMBER, *match.span(), _mask(match[0], 3))


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


def _home_office_refs(src: _Source) -> Iterator[Finding]:
    for match in _HO_SHAPES.finditer(src.text):
        yield src.finding(Kind.HOME_OFFICE_REF, *match.span(), _mask(match[0], 1, 2))
    for match in _HO_LABELLED.finditer(src.text):
        yield src.finding(Kind.HOME_OFFICE_REF, *match.span("id"), _mask(match["id"], 1, 2))


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


def _dates_of_birth(src: _Source) -> Iterator[Finding]:
    today = date.today()
    for match in _DATE.finditer(src.text):
        parsed = _parse_date(match, today)
        if parsed is None or not _looks_like_birth(src.text, *match.span(), parsed[0], today):
            continue
        year_start, year_end = (i - match.start() for i in match.span(parsed[1]))
        found = match[0]
        masked = _mask(found[:year_start]) + found[year_start:year_end] + _mask(found[year_end:])
        yield src.finding(Kind.DATE_OF_BIRTH, *match.span(), masked)


# --- Postcode --------------------------------------------------------------------------------

_POSTCODE = re.compile(
    r"(?<![a-z0-9])(?P<outward>[a-pr-uwyz](?:[0-9][0-9a-z]?|[a-hk-y][0-9][0-9a-z]?))"
    r" ?(?P<inward>[0-9][abd-hjlnp-uw-z]{2})(?![a-z0-9])",
    re.IGNORECASE | re.ASCII,
)
_ORDINAL = re.compile(r"1st|2nd|3rd|[0-9]th")


def _postcodes(src: _Source) -> Iterator[Finding]:
    for match in _POSTCODE.finditer(src.text):
        inward = match["inward"]
        if inward.islower() and _ORDINAL.fullmatch(inward):  # "room b2 3rd floor"
            continue
        keep = len(match["outward"])
        yield src.finding(Kind.POSTCODE, *match.span(), _mask(match[0], keep))


# --- Client's name ---------------------------------------------------------------------------


def _masked_name(name: str) -> str:
    """Each word's first letter kept: "Selam Tesfay" is shown as "S•••• T•••••"."""
    return re.sub(r"\w+", lambda word: _mask(word[0], 1), name)


# --- Scan ------------------------------------------------------------------------------------

# On a tie the earlier detector wins: an explicitly labelled Home Office reference beats a
# checksum-valid NHS number, which beats a ten-digit string that merely looks like a phone number.
_DETECTORS: tuple[Callable[[_Source], Iterator[Finding]], ...] = (
    _emails,
    _home_office_refs,
    _nhs_numbers,
    _ni_numbers,
    _phones,
    _dates_of_birth,
    _postcodes,
)


def _client_names(src: _Source, known: KnownPeople) -> Iterator[Finding]:
    for start, end in client_names(src.text, known):
        yield src.finding(Kind.CLIENT_NAME, start, end, _masked_name(src.text[start:end]))


def scan(text: str, known: KnownPeople = NOBODY) -> list[Finding]:
    """Everything in the text that looks like a client's personal data, in order of position.

    Matching runs on `normalise(text)`; positions and masks refer to `text` itself. Where
    detectors claim overlapping text, the earlier and then the longer match wins, so each
    character is reported at most once. `known` are people who are never clients (staff).
    """
    src = _Source.of(text)
    candidates = sorted(
        (
            *(finding for detect in _DETECTORS for finding in detect(src)),
            *_client_names(src, known),
        ),
        key=lambda f: (f.start, f.start - f.end),
    )
    findings: list[Finding] = []
    for finding in candidates:
        if not findings or finding.start >= findings[-1].end:
            findings.append(finding)
    return findings
