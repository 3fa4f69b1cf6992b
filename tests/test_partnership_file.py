"""The partnership file: loading is idempotent and additive; mistakes name the line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.models import (
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    Partnership,
    Topic,
)
from bot.services.directory import Directory
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    PartnershipFileError,
    apply_partnership,
    parse_partnership,
    read_partnership_file,
)
from bot.services.rights import DEFAULT_RETENTION
from jobs.registry import JOBS


def snapshot(engine: Engine) -> dict[str, list]:
    with Session(engine) as session:
        return {
            model.__name__: sorted(repr(row.model_dump()) for row in session.exec(select(model)))
            for model in (
                Partnership,
                Topic,
                Organisation,
                KeyWorker,
                HotdeskOffer,
                Member,
                PartnerPerson,
            )
        }


def test_the_sample_describes_a_realistic_partnership() -> None:
    spec = read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS)
    assert len(spec.organisations) >= 5
    for organisation in spec.organisations:
        assert organisation.description and organisation.address and organisation.key_workers
        assert organisation.visitor_protocol
    assert sum(1 for o in spec.organisations if o.hotdesk) >= 4
    assert spec.coordinators and all(spec.channels.values())
    assert {"housing", "homelessness", "legal advice", "health", "training", "young people"} <= set(
        spec.topics
    )
    assert spec.retention == DEFAULT_RETENTION  # every period, spelt out at its default
    assert spec.retention["event_ids_days"] == 3 and spec.retention["audit_entries"] == 72


def test_loading_twice_gives_the_same_state_and_reports_no_change(engine: Engine) -> None:
    spec = read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS)
    first = apply_partnership(engine, spec)
    assert first.changed and first.organisations.added == len(spec.organisations)
    state = snapshot(engine)
    second = apply_partnership(engine, spec)
    assert not second.changed
    assert second.organisations.unchanged == len(spec.organisations)
    assert snapshot(engine) == state


def test_a_reload_reports_updates_and_keeps_what_was_added_in_slack(engine: Engine) -> None:
    apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    Directory(engine).add_organisation("U0000COORD1", "GAP", "Govan Asylum Project")
    changed = SAMPLE_PARTNERSHIP.read_text().replace(
        'desks = 2\n  weekdays = ["tue", "wed"', 'desks = 4\n  weekdays = ["tue", "wed"'
    )
    report = apply_partnership(engine, parse_partnership(changed, jobs=JOBS))
    assert (report.organisations.updated, report.organisations.added) == (1, 0)
    with Session(engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        assert session.get(HotdeskOffer, harbour.id).desks == 4
        assert session.exec(select(Organisation).where(Organisation.code == "GAP")).first()


ONE_ORGANISATION = (
    '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
    '  [[organisations.key_workers]]\n  name = "Jo Bloggs"\n'
)
BROKEN = [
    (
        '[partnership]\nname = "P"\n\n[[organisations]]\ncode = "HRS"\n',
        4,
        "organisations[1].name",
        "is required",
    ),
    (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        '[[organisations]]\ncode = "B1"\nname = "B"\n[organisations.hotdesk]\ndesks = "two"\n',
        10,
        "organisations[2].hotdesk.desks",
        "whole number",
    ),
    (
        '[partnership]\nname = "P"\nprivacy = "maybe"\n',
        3,
        "partnership.privacy",
        '"warn" or "block"',
    ),
    (
        '[partnership]\nname = "P"\n[channels]\nupdates = "general chat"\n',
        4,
        "channels.updates",
        "channel id",
    ),
    (
        '[partnership]\nname = "P"\n[[coordinators]]\nslack = "@morag"\n',
        4,
        "coordinators[1].slack",
        "member id",
    ),
    ('[partnership]\nname = "P"\ncolour = "red"\n', 3, "partnership.colour", "unknown field"),
    (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        '[organisations.hotdesk]\nweekdays = ["monday", "funday"]\n',
        7,
        "organisations[1].hotdesk.weekdays",
        "day names",
    ),
    (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        '[[organisations]]\ncode = "a1"\nname = "B"\n',
        7,
        "organisations[2].code",
        "another organisation",
    ),
    (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        '[organisations.hotdesk]\nclosures = ["christmas"]\n',
        7,
        "organisations[1].hotdesk.closures",
        "not a date or a range",
    ),
    (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        "[organisations.hotdesk]\nmax_days_ahead = 0\n",
        7,
        "organisations[1].hotdesk.max_days_ahead",
        "from 1 to 365",
    ),
    (
        '[partnership]\nname = "P"\nbank_holidays = "mars"\n',
        3,
        "partnership.bank_holidays",
        "scotland",
    ),
    (
        '[partnership]\nname = "P"\ntimezone = "Europe/Londres"\n',
        3,
        "partnership.timezone",
        "'Europe/Londres' is not a time zone name: a time zone name like \"Europe/London\"",
    ),
    (
        '[partnership]\nname = "P"\ntimezone = 1\n',
        3,
        "partnership.timezone",
        "should be text in quotes",
    ),
    (
        '[partnership]\nname = "P"\n\n[retention]\nupdates = 24\nevent_ids_days = 90\n',
        6,
        "retention.event_ids_days",
        "whole number of days from 1 to 30",
    ),
    (
        '[partnership]\nname = "P"\n[retention]\naudit_entries = "six years"\n',
        4,
        "retention.audit_entries",
        "whole number of months from 1 to 240",
    ),
    (
        '[partnership]\nname = "P"\n[retention]\ndeliveries = 0\n',
        4,
        "retention.deliveries",
        "whole number of months from 1 to 240",
    ),
    (
        '[partnership]\nname = "P"\n[retention]\ndeliveries = 6\njob_runs = 4\n',
        5,
        "retention.job_runs",
        "keep job runs at least as long",
    ),
    (
        '[partnership]\nname = "P"\nprivacy = "block"\n[[organisations]]\ncode = "A1"\n'
        'name = "A"\nvisitor_protocol = "Ring Jo on 07700 900123 at the door"\n',
        7,
        "organisations[1].visitor_protocol",
        "looks like it holds personal data: UK phone number",
    ),
    (
        '[partnership]\nname = "P"\n[retention]\nevent_ids = 3\n',
        4,
        "retention.event_ids",
        "unknown field; expected one of updates, bookings",
    ),
    (
        '[partnership]\nname = "P"\n[report]\nformat = "pdf"\n',
        4,
        "report.format",
        'should be "xlsx" or "csv"',
    ),
    (
        f'{ONE_ORGANISATION}[[people]]\nname = "Fiona Reid"\norganisation = "A1"\n'
        'email = "fiona.reid at nhs"\n',
        11,
        "people[1].email",
        "'fiona.reid at nhs' is not in the right form: an email address like",
    ),
    (
        f'{ONE_ORGANISATION}[[people]]\nname = "Fiona Reid"\norganisation = "ZZ"\n'
        'email = "f@nhs.example.net"\n',
        10,
        "people[1].organisation",
        "'ZZ' is not an organisation in this file; codes: A1",
    ),
    (
        f'{ONE_ORGANISATION}[[people]]\nname = "Fiona Reid"\norganisation = "A1"\n',
        8,
        "people[1].email",
        "is required: an email address",
    ),
    (
        f'{ONE_ORGANISATION}[[people]]\nname = "Jo Bloggs"\norganisation = "a1"\n'
        'email = "jo@a.example.org"\n',
        9,
        "people[1].name",
        "Jo Bloggs is already listed for A1",
    ),
    (
        f'{ONE_ORGANISATION}[[people]]\nname = "Fiona Reid"\norganisation = "A1"\n'
        'email = "f@nhs.example.net"\nphone = "0141"\n',
        12,
        "people[1].phone",
        "unknown field; expected one of name, organisation, email, role",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "problem"), BROKEN)
def test_a_mistake_is_reported_with_its_line_and_field(
    text: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(PartnershipFileError) as error:
        parse_partnership(text, "p.toml", jobs=JOBS)
    message = str(error.value)
    assert message.startswith(f"p.toml, line {line}, {field}:"), message
    assert problem in message


def test_the_reports_format_is_set_from_the_file(engine: Engine) -> None:
    """xlsx unless `[report] format = "csv"` says otherwise; a reload applies a change."""
    apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    text = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8")
    with Session(engine) as session:
        assert session.get_one(Partnership, 1).report_format == "xlsx"
    csv = parse_partnership(text.replace('format = "xlsx"', 'format = "csv"'), jobs=JOBS)
    assert apply_partnership(engine, csv).changed
    with Session(engine) as session:
        assert session.get_one(Partnership, 1).report_format == "csv"


def test_a_file_that_is_not_toml_says_where() -> None:
    with pytest.raises(PartnershipFileError, match=r"p.toml: not valid TOML: .*line 2"):
        parse_partnership('[partnership]\nname = "unterminated\n', "p.toml", jobs=JOBS)


def test_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(PartnershipFileError, match="cannot read the file"):
        read_partnership_file(tmp_path / "nope.toml", jobs=JOBS)


def test_with_privacy_warn_the_coordinators_file_may_name_a_number_it_chose_to_share() -> None:
    text = (
        '[partnership]\nname = "P"\n[[organisations]]\ncode = "A1"\nname = "A"\n'
        'visitor_protocol = "Reception: 0161 496 0000"\n'
    )
    (organisation,) = parse_partnership(text, "p.toml", jobs=JOBS).organisations
    assert organisation.visitor_protocol == "Reception: 0161 496 0000"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[[glossary]]\nterm = "ISP"\n', "glossary[1].meaning"),
        ('[[glossary]]\nterm = "ISP"\nmeaning = "a"\n[[glossary]]\nterm = "isp"\nmeaning = "b"\n',
         "glossary[2].term"),
        (f'[[glossary]]\nterm = "{"x" * 41}"\nmeaning = "a"\n', "glossary[1].term"),
        ('[jargon]\nstoplist = ["esol words"]\n', "jargon.stoplist"),
    ],
)  # fmt: skip
def test_glossary_mistakes_name_their_line_and_field(text: str, where: str) -> None:
    with pytest.raises(PartnershipFileError, match=re.escape(where)):
        parse_partnership('[partnership]\nname = "P"\n' + text, jobs=JOBS)


def test_people_not_on_slack_are_loaded_listed_in_the_directory_and_follow_the_file(
    engine: Engine,
) -> None:
    spec = read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS)
    (fiona,) = spec.people
    assert (fiona.name, fiona.organisation, fiona.role) == (
        "Fiona Reid", "BHA", "NHS community link worker",
    )  # fmt: skip
    assert apply_partnership(engine, spec).people.added == 1
    card = Directory(engine).organisation("BHA")
    assert [(p.name, p.email, p.role) for p in card.by_email] == [
        ("Fiona Reid", "fiona.reid@nhs.example.net", "NHS community link worker")
    ]
    text = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8")
    moved = text.replace("fiona.reid@nhs.example.net", "f.reid@nhs.example.net")
    report = apply_partnership(engine, parse_partnership(moved, jobs=JOBS))
    assert (report.people.updated, report.people.added) == (1, 0)
    gone = text[: text.index("[[people]]")] + text[text.index("# How long records") :]
    apply_partnership(engine, parse_partnership(gone, jobs=JOBS))
    with Session(engine) as session:
        assert session.exec(select(PartnerPerson)).all() == []
