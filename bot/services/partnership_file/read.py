"""The partnership file (TOML), read and checked into specs: pure, no database.

Every error names the line and the field, since the people who edit this file are coordinators,
not programmers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services import gate
from bot.services.directory import CODE_PATTERN
from bot.services.glossary.rules import (
    DESCRIPTION_MAX,
    MEANING_MAX,
    TERM_MAX,
    acronyms,
    normalise,
)
from bot.services.privacy_names import KnownPeople
from bot.services.rights import DEFAULT_RETENTION, RETENTION_LIMITS
from bot.services.schedule import DEFAULT_CATCH_UP_HOURS, Schedule, parse_when, unknown_job
from bot.services.working_days import DEFAULT_REGION, WEEKDAYS, region_code

# Six sample organisations: the playground's partnership, the tests', and a file to copy. Package
# data (importlib.resources), so an installed wheel has it too.
SAMPLE_PARTNERSHIP = Path(str(resources.files("bot") / "data" / "partnership.example.toml"))
PRIVACY_POLICIES = ("warn", "block")
REPORT_FORMATS = ("xlsx", "csv")


CHANNEL_PATTERN = re.compile(r"^([CG][A-Z0-9]{2,}|#[a-z0-9][a-z0-9_-]{0,79})$")


USER_PATTERN = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


CHANNEL_KINDS = ("updates", "opportunities", "digest")


OFFER_KEYS = (
    "desks", "weekdays", "half_days", "needs_approval", "closures", "closed_on_bank_holidays",
    "max_days_ahead",
)  # fmt: skip


CLOSURES_MAX = 366


class PartnershipFileError(Exception):
    """`str()` says which file, line and field is wrong, and what is expected there."""


@dataclass(frozen=True)
class OfferSpec:
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool
    closures: tuple[date, ...] = ()
    closed_on_bank_holidays: bool = True
    max_days_ahead: int = 60


@dataclass(frozen=True)
class KeyWorkerSpec:
    name: str
    slack: str | None
    email: str | None = None  # how one not on Slack is told of visits


@dataclass(frozen=True)
class PersonSpec:
    """Partner staff not on Slack ([[people]]): reached by email, listed in the directory."""

    name: str
    organisation: str  # its code
    email: str
    role: str = ""


@dataclass(frozen=True)
class OrganisationSpec:
    code: str
    name: str
    description: str
    address: str
    visitor_protocol: str
    key_workers: tuple[KeyWorkerSpec, ...]
    hotdesk: OfferSpec | None


@dataclass(frozen=True)
class GlossarySpec:
    term: str
    meaning: str
    description: str


@dataclass(frozen=True)
class CoordinatorSpec:
    """A coordinator reached in Slack (`slack`), or by email alone (`email`, no `slack`): with
    both, Slack is used and the address is not kept."""

    slack: str | None
    name: str
    email: str | None = None


@dataclass(frozen=True)
class PartnershipSpec:
    name: str
    privacy: str
    channels: dict[str, str | None]
    topics: tuple[str, ...]
    coordinators: tuple[CoordinatorSpec, ...]
    organisations: tuple[OrganisationSpec, ...]
    schedule: Schedule = field(default_factory=lambda: Schedule.from_json(""))
    bank_holidays: str = DEFAULT_REGION
    followup_after: int = 2
    timezone: str | None = None  # an IANA name; None: the deployment's PARTNERBOT_TZ
    retention: dict[str, int] = field(default_factory=dict)  # months (event ids: days), by kind
    report_format: str = "xlsx"  # the coordinators' report's figures: "xlsx" or "csv"
    emails_per_minute: int = 30  # [email] per_minute: the pace of sending email
    glossary: tuple[GlossarySpec, ...] = ()  # [[glossary]]: the glossary's first entries
    jargon_stoplist: tuple[str, ...] = ()  # [jargon] stoplist: capitals never suggested
    people: tuple[PersonSpec, ...] = ()  # [[people]]: partner staff not on Slack


KeyPath = tuple[str | int, ...]  # where a value is in the file: ("organisations", 1, "hotdesk")


def read_partnership_file(path: str | Path, *, jobs: Collection[str]) -> PartnershipSpec:
    """`jobs`: the names [schedule] may set (jobs.registry.JOBS; services do not import jobs)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PartnershipFileError(f"{path}: cannot read the file ({error.strerror})") from None
    return parse_partnership(text, str(path), jobs=jobs)


def parse_partnership(
    text: str, source: str = "partnership file", *, jobs: Collection[str]
) -> PartnershipSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PartnershipFileError(f"{source}: not valid TOML: {error}") from None
    return _Checker(text, source, jobs).partnership(data)


class _Checker:
    """Turns parsed TOML into specs, raising errors that point at the offending line."""

    def __init__(self, text: str, source: str, jobs: Collection[str]) -> None:
        self.lines = _key_lines(text)
        self.source = source
        self.jobs = jobs
        self.privacy = "warn"
        self.staff = KnownPeople()  # the file's coordinators and key workers: never clients

    def fail(self, where: KeyPath, problem: str) -> PartnershipFileError:
        line = _nearest_line(self.lines, where)
        name = ".".join(f"[{p + 1}]" if isinstance(p, int) else p for p in where).replace(".[", "[")
        at = f"line {line}" if line else "file"
        return PartnershipFileError(f"{self.source}, {at}, {name}: {problem}")

    def table(self, data: dict[str, Any], where: KeyPath, key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail((*where, key), "should be a table")
        return value

    def array_of_tables(self, data: dict[str, Any], where: KeyPath, key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail((*where, key), f"should be written as [[{key}]] tables")
        return value

    def guarded_text(self, data: dict[str, Any], where: KeyPath, key: str) -> str:
        """Text every partner sees, through the privacy guard. With `privacy = "block"` what
        looks personal is a mistake in the file; with "warn" the coordinator who wrote the
        file has chosen to share it, as the Slack forms' "save it anyway" box does."""
        value = self.text(data, where, key)
        found = gate.findings_in(value, self.staff)
        if found and self.privacy == "block":
            what = ", ".join(f"{f.kind.value} ({f.masked})" for f in found[:3])
            raise self.fail(
                (*where, key),
                f'looks like it holds personal data: {what}; privacy = "block" keeps it out',
            )
        return value

    def text(
        self,
        data: dict[str, Any],
        where: KeyPath,
        key: str,
        *,
        required: bool = False,
        limit: int = 2000,
        pattern: re.Pattern[str] | None = None,
        example: str = "",
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail((*where, key), f"is required{example}")
            return ""
        if not isinstance(value, str):
            raise self.fail((*where, key), f"should be text in quotes{example}")
        value = value.strip()
        if required and not value:
            raise self.fail((*where, key), f"must not be empty{example}")
        if len(value) > limit:
            raise self.fail((*where, key), f"is {len(value)} characters; the limit is {limit}")
        if value and pattern and not pattern.match(value):
            raise self.fail((*where, key), f"{value!r} is not in the right form{example}")
        return value

    def boolean(self, data: dict[str, Any], where: KeyPath, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail((*where, key), "should be true or false")
        return value

    def unknown_keys(self, data: dict[str, Any], where: KeyPath, known: Iterable[str]) -> None:
        for key in data:
            if key not in known:
                raise self.fail((*where, key), f"unknown field; expected one of {', '.join(known)}")

    def partnership(self, data: dict[str, Any]) -> PartnershipSpec:
        self.unknown_keys(
            data,
            (),
            (
                "partnership", "channels", "coordinators", "organisations", "schedule",
                "retention", "report", "email", "glossary", "jargon", "people",
            ),
        )  # fmt: skip
        top = self.table(data, (), "partnership")
        where: KeyPath = ("partnership",)
        self.unknown_keys(
            top,
            where,
            ("name", "privacy", "topics", "bank_holidays", "timezone", "followup_after"),
        )
        try:
            bank_holidays = region_code(self.text(top, where, "bank_holidays") or DEFAULT_REGION)
        except ValueError as problem:
            raise self.fail((*where, "bank_holidays"), str(problem)) from None
        privacy = self.text(top, where, "privacy") or "warn"
        if privacy not in PRIVACY_POLICIES:
            raise self.fail((*where, "privacy"), 'should be "warn" or "block"')
        self.privacy = privacy  # the guard's policy for the typed text read after it
        self.staff = KnownPeople(_people_named(data))
        topics = top.get("topics", [])
        if not isinstance(topics, list) or not all(isinstance(t, str) and t for t in topics):
            raise self.fail((*where, "topics"), 'should be a list of words, e.g. ["housing"]')
        channels = self.table(data, (), "channels")
        self.unknown_keys(channels, ("channels",), CHANNEL_KINDS)
        example = ': a channel id like "C0123ABCD" or a name like "#partnership-updates"'
        organisations = self.organisations(data)
        return PartnershipSpec(
            name=self.text(top, where, "name", required=True, limit=150),
            privacy=privacy,
            channels={
                kind: self.text(
                    channels, ("channels",), kind, pattern=CHANNEL_PATTERN, example=example
                )
                or None
                for kind in CHANNEL_KINDS
            },
            topics=tuple(dict.fromkeys(t.strip().lower()[:60] for t in topics)),
            coordinators=self.coordinators(self.array_of_tables(data, (), "coordinators")),
            organisations=organisations,
            people=self.people(data, organisations),
            schedule=self.schedule(self.table(data, (), "schedule")),
            bank_holidays=bank_holidays,
            timezone=self.timezone(top, where),
            followup_after=self.whole_number(top, where, "followup_after", 2, 1, 20),
            retention=self.retention(self.table(data, (), "retention")),
            report_format=self.report_format(self.table(data, (), "report")),
            emails_per_minute=self.email_pace(self.table(data, (), "email")),
            glossary=self.glossary(self.array_of_tables(data, (), "glossary")),
            jargon_stoplist=self.stoplist(self.table(data, (), "jargon")),
        )

    def timezone(self, data: dict[str, Any], where: KeyPath) -> str | None:
        """The partnership's time zone, when it is not the deployment's (PARTNERBOT_TZ): the
        clock runs its jobs, and reads its dates, there."""
        example = ': a time zone name like "Europe/London" or "Europe/Dublin"'
        name = self.text(data, where, "timezone", limit=64, example=example)
        if not name:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                (*where, "timezone"), f"{name!r} is not a time zone name{example}"
            ) from None
        return name

    def people(
        self, data: dict[str, Any], organisations: tuple[OrganisationSpec, ...]
    ) -> tuple[PersonSpec, ...]:
        """[[people]]: partner staff not on Slack, each of an organisation in the file."""
        codes = {spec.code: spec for spec in organisations}
        specs: list[PersonSpec] = []
        for i, entry in enumerate(self.array_of_tables(data, (), "people")):
            where: KeyPath = ("people", i)
            self.unknown_keys(entry, where, ("name", "organisation", "email", "role"))
            name = self.text(entry, where, "name", required=True, limit=150)
            code = self.text(
                entry, where, "organisation", required=True, limit=12,
                example=': the code of an organisation in this file, like "NCL"',
            ).upper()  # fmt: skip
            if code not in codes:
                raise self.fail(
                    (*where, "organisation"),
                    f"{code!r} is not an organisation in this file; codes: {', '.join(codes)}",
                )
            email = self.text(
                entry, where, "email", required=True, limit=254, pattern=EMAIL_PATTERN,
                example=': an email address like "a.khan@council.example.gov.uk"',
            )  # fmt: skip
            taken = {w.name.lower() for w in codes[code].key_workers} | {
                p.name.lower() for p in specs if p.organisation == code
            }
            if name.lower() in taken:
                raise self.fail(
                    (*where, "name"), f"{name} is already listed for {code}; list each person once"
                )
            role = self.text(entry, where, "role", limit=150)
            specs.append(PersonSpec(name, code, email, role))
        return tuple(specs)

    def email_pace(self, data: dict[str, Any]) -> int:
        """[email] per_minute: at most so many emails a minute (a mail provider's limit)."""
        self.unknown_keys(data, ("email",), ("per_minute",))
        return self.whole_number(data, ("email",), "per_minute", 30, 1, 1000)

    def glossary(self, entries: list[dict[str, Any]]) -> tuple[GlossarySpec, ...]:
        """[[glossary]] entries: a term (once each), its meaning, and a line of description."""
        specs, seen = [], set()
        for i, entry in enumerate(entries):
            where: KeyPath = ("glossary", i)
            self.unknown_keys(entry, where, ("term", "meaning", "description"))
            example = ': e.g. term = "ISP", meaning = "Individual Support Plan"'
            term = self.text(entry, where, "term", required=True, limit=TERM_MAX, example=example)
            if normalise(term) in seen:
                raise self.fail((*where, "term"), f"{term!r} is in the glossary twice")
            seen.add(normalise(term))
            self.text(entry, where, "meaning", required=True, limit=MEANING_MAX, example=example)
            self.text(entry, where, "description", limit=DESCRIPTION_MAX)
            specs.append(
                GlossarySpec(
                    term,
                    self.guarded_text(entry, where, "meaning"),
                    self.guarded_text(entry, where, "description"),
                )
            )
        return tuple(specs)

    def stoplist(self, data: dict[str, Any]) -> tuple[str, ...]:
        """[jargon] stoplist: capitalised words (two to six capitals) never suggested for the
        glossary, beyond the built-in ones."""
        where: KeyPath = ("jargon",)
        self.unknown_keys(data, where, ("stoplist",))
        words = data.get("stoplist", [])
        if not isinstance(words, list) or not all(
            isinstance(w, str) and acronyms(w.strip().upper()) == [w.strip().upper()] for w in words
        ):
            raise self.fail(
                (*where, "stoplist"), 'should be a list of two to six capitals, e.g. ["ESOL"]'
            )
        return tuple(dict.fromkeys(word.strip().upper() for word in words))

    def report_format(self, data: dict[str, Any]) -> str:
        """The format of the coordinators' report's figures: a spreadsheet, or CSV."""
        where: KeyPath = ("report",)
        self.unknown_keys(data, where, ("format",))
        form = self.text(data, where, "format") or "xlsx"
        if form not in REPORT_FORMATS:
            raise self.fail((*where, "format"), 'should be "xlsx" or "csv"')
        return form

    def retention(self, data: dict[str, Any]) -> dict[str, int]:
        """How long to keep each kind of record: months (updates 24, bookings 12 after the
        visit, …, deliveries 3, job runs 12, audit entries 72), but event ids in days (3)."""
        where: KeyPath = ("retention",)
        self.unknown_keys(data, where, tuple(DEFAULT_RETENTION))
        policy = {}
        for kind, default in DEFAULT_RETENTION.items():
            if kind in data:
                low, high, unit = RETENTION_LIMITS[kind]
                policy[kind] = self.whole_number(data, where, kind, default, low, high, unit)
        runs = policy.get("job_runs", DEFAULT_RETENTION["job_runs"])
        deliveries = policy.get("deliveries", DEFAULT_RETENTION["deliveries"])
        if runs < deliveries:
            key = "job_runs" if "job_runs" in data else "deliveries"
            raise self.fail(
                (*where, key),
                f"job runs are kept {runs} months and deliveries {deliveries}: a job run's "
                "deliveries go with it, so keep job runs at least as long",
            )
        return policy

    def schedule(self, data: dict[str, Any]) -> Schedule:
        """The times the file sets; the jobs it leaves out keep their defaults."""
        where: KeyPath = ("schedule",)
        jobs = {}
        for job in data:
            if job == "catch_up_hours":
                continue
            if job not in self.jobs:
                raise self.fail((*where, job), unknown_job(job, self.jobs))
            entry = self.text(data, where, job, limit=60)
            if entry:
                try:
                    jobs[job] = parse_when(entry)
                except ValueError as problem:
                    raise self.fail((*where, job), str(problem)) from None
        hours = data.get("catch_up_hours", DEFAULT_CATCH_UP_HOURS)
        if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 168:
            raise self.fail((*where, "catch_up_hours"), "should be a number of hours, 0 to 168")
        return Schedule(jobs, hours)

    def coordinators(self, entries: list[dict[str, Any]]) -> tuple[CoordinatorSpec, ...]:
        specs = [self.coordinator(entry, ("coordinators", i)) for i, entry in enumerate(entries)]
        seen: set[str] = set()
        for i, spec in enumerate(specs):
            if spec.email and not spec.slack:
                if spec.email.lower() in seen:
                    raise self.fail(("coordinators", i, "email"), "is another coordinator's too")
                seen.add(spec.email.lower())
        return tuple(specs)

    def coordinator(self, data: dict[str, Any], where: KeyPath) -> CoordinatorSpec:
        """`slack`, `email` or both (Slack is used when both are given); a coordinator reached
        by email alone needs a name, which their emails and the notices about them use."""
        self.unknown_keys(data, where, ("slack", "email", "name"))
        slack = self.text(
            data, where, "slack", pattern=USER_PATTERN,
            example=': a Slack member id like "U0123ABCD" (profile → ⋮ → Copy member ID)',
        )  # fmt: skip
        email = self.text(
            data, where, "email", limit=254, pattern=EMAIL_PATTERN,
            example=': an email address like "d.okafor@council.example.gov.uk"',
        )  # fmt: skip
        if not (slack or email):
            raise self.fail(
                where,
                'needs slack (a Slack member id like "U0123ABCD"), email (for a coordinator not '
                "on Slack), or both",
            )
        name = self.text(data, where, "name", required=not slack, limit=150)
        return CoordinatorSpec(slack=slack or None, name=name, email=email or None)

    def organisations(self, data: dict[str, Any]) -> tuple[OrganisationSpec, ...]:
        specs = [
            self.organisation(entry, ("organisations", i))
            for i, entry in enumerate(self.array_of_tables(data, (), "organisations"))
        ]
        for kind in ("code", "name"):
            seen: set[str] = set()
            for i, spec in enumerate(specs):
                value = getattr(spec, kind).lower()
                if value in seen:
                    raise self.fail(("organisations", i, kind), "is used by another organisation")
                seen.add(value)
        return tuple(specs)

    def organisation(self, data: dict[str, Any], where: KeyPath) -> OrganisationSpec:
        self.unknown_keys(
            data,
            where,
            (
                "code",
                "name",
                "description",
                "address",
                "visitor_protocol",
                "key_workers",
                "hotdesk",
            ),
        )
        workers = self.array_of_tables(data, where, "key_workers")
        hotdesk = data.get("hotdesk")
        return OrganisationSpec(
            code=self.text(
                data,
                where,
                "code",
                required=True,
                limit=12,
                pattern=CODE_PATTERN,
                example=': 2–12 letters or digits, like "HRS"',
            ).upper(),
            name=self.text(data, where, "name", required=True, limit=150),
            description=self.guarded_text(data, where, "description"),
            address=self.text(data, where, "address", limit=500),
            visitor_protocol=self.guarded_text(data, where, "visitor_protocol"),
            key_workers=tuple(
                self.key_worker(worker, (*where, "key_workers", i))
                for i, worker in enumerate(workers)
            ),
            hotdesk=None if hotdesk is None else self.offer(hotdesk, (*where, "hotdesk")),
        )

    def key_worker(self, data: dict[str, Any], where: KeyPath) -> KeyWorkerSpec:
        self.unknown_keys(data, where, ("name", "slack", "email"))
        return KeyWorkerSpec(
            name=self.text(data, where, "name", required=True, limit=150),
            slack=self.text(
                data, where, "slack", pattern=USER_PATTERN, example=': like "U0123ABCD"'
            )
            or None,
            email=self.text(
                data,
                where,
                "email",
                limit=254,
                pattern=EMAIL_PATTERN,
                example=': an email address like "jamal.hussain@northside.example.org"',
            )
            or None,
        )

    def offer(self, data: Any, where: KeyPath) -> OfferSpec:
        if not isinstance(data, dict):
            raise self.fail(where, "should be a table")
        self.unknown_keys(data, where, OFFER_KEYS)
        desks = data.get("desks", 1)
        if not isinstance(desks, int) or isinstance(desks, bool) or not 0 < desks <= 50:
            raise self.fail((*where, "desks"), "should be a whole number from 1 to 50")
        weekdays = data.get("weekdays", list(WEEKDAYS[:5]))
        if (
            not isinstance(weekdays, list)
            or not weekdays
            or not all(isinstance(day, str) and day.lower()[:3] in WEEKDAYS for day in weekdays)
        ):
            raise self.fail((*where, "weekdays"), 'should list day names, e.g. ["mon", "wed"]')
        chosen = {day.lower()[:3] for day in weekdays}
        return OfferSpec(
            desks=desks,
            weekdays=tuple(day for day in WEEKDAYS if day in chosen),
            half_days=self.boolean(data, where, "half_days", True),
            needs_approval=self.boolean(data, where, "needs_approval", False),
            closures=self.closures(data.get("closures", []), (*where, "closures")),
            closed_on_bank_holidays=self.boolean(data, where, "closed_on_bank_holidays", True),
            max_days_ahead=self.whole_number(data, where, "max_days_ahead", 60, 1, 365),
        )

    def whole_number(
        self,
        data: dict[str, Any],
        where: KeyPath,
        key: str,
        default: int,
        low: int,
        high: int,
        unit: str = "",
    ) -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            of = f" of {unit}" if unit else ""
            raise self.fail((*where, key), f"should be a whole number{of} from {low} to {high}")
        return value

    def closures(self, data: Any, where: KeyPath) -> tuple[date, ...]:
        """Dates the office is shut: 2026-12-24, or a range "2026-12-24 to 2027-01-02"."""
        example = 'e.g. [2026-12-24, "2026-12-29 to 2027-01-02"]'
        if not isinstance(data, list):
            raise self.fail(where, f"should be a list of dates, {example}")
        days: list[date] = []
        for entry in data:
            try:
                days += _closure_days(entry)
            except ValueError:
                raise self.fail(where, f"{entry!r} is not a date or a range; {example}") from None
            if len(days) > CLOSURES_MAX:
                raise self.fail(where, f"lists more than {CLOSURES_MAX} days")
        return tuple(sorted(set(days)))


def _closure_days(entry: Any) -> list[date]:
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return [entry]
    if not isinstance(entry, str):
        raise ValueError(entry)
    first, _, last = entry.partition(" to ")
    start = date.fromisoformat(first.strip())
    end = date.fromisoformat(last.strip()) if last else start
    if end < start or (end - start).days > CLOSURES_MAX:
        raise ValueError(entry)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _key_lines(text: str) -> dict[KeyPath, int]:
    """Map each table and key path (array tables indexed from 0) to its line number."""
    lines: dict[KeyPath, int] = {}
    counts: dict[KeyPath, int] = {}
    arrays: set[tuple[str, ...]] = set()
    current: KeyPath = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            parts = tuple(p.strip().strip('"') for p in header.group(2).split("."))
            resolved: list[str | int] = []
            for depth, part in enumerate(parts, start=1):
                resolved.append(part)
                is_last = depth == len(parts)
                if is_last and header.group(1) == "[[":
                    arrays.add(parts)
                    index = counts.get(tuple(resolved), 0)
                    counts[tuple(resolved)] = index + 1
                    resolved.append(index)
                elif not is_last and parts[:depth] in arrays:
                    resolved.append(counts[tuple(resolved)] - 1)
            current = tuple(resolved)
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, key.group(1)), number)
    return lines


def _nearest_line(lines: dict[KeyPath, int], where: KeyPath) -> int | None:
    for length in range(len(where), 0, -1):
        if where[:length] in lines:
            return lines[where[:length]]
    return None


def _people_named(data: dict[str, Any]) -> Iterator[str]:
    """Every coordinator's, key worker's and [[people]] name in the file as written, before it
    is checked, so that its descriptions can name them without being taken for clients."""

    def names(entries: object) -> Iterator[str]:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                yield entry["name"]

    yield from names(data.get("coordinators"))
    yield from names(data.get("people"))
    for organisation in data.get("organisations") or ():
        if isinstance(organisation, dict):
            yield from names(organisation.get("key_workers"))
