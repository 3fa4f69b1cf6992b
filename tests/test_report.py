"""The coordinators' report: `/partners report`, its chart sheet and figures in the DM, counted
from data the test made, and nothing personal anywhere in it."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.models import (
    Commitment,
    DeskBooking,
    Member,
    Opportunity,
    Organisation,
    Partnership,
    PartnershipSession,
    PartnerUpdate,
    SessionOrganisation,
)
from bot.services.gate import trusted
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import shown

TODAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # the last full quarter is 2026-Q3
NAMES = {MEMBER: "Zanele Okonkwo", OTHER: "Bartholomew Quist"}
TYPED = "Ring Zanele on 07700 900123 about case REF-99817"  # in every text typed
PNG = b"\x89PNG\r\n\x1a\n"


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)


def seed(bot: Bot) -> None:
    """In 2026-Q3: NCL posts 3 updates (2 in July), NRH 1 update and 1 opportunity (August);
    NCL visits HRS twice (July, September; a cancelled visit doesn't count), NRH once (August);
    one session in September, NCL and NRH there, 2 commitments open and 1 done. In the quarter
    before: NCL posts 1 update."""
    for user_id, name in NAMES.items():
        bot.fake.add_user(user_id, name)
    bot.ask("join NCL", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    with Session(bot.engine) as session:
        ids = dict(session.exec(select(Organisation.code, Organisation.id)).all())

        def update(code: str, author: str, day: date) -> None:
            session.add(
                PartnerUpdate(
                    organisation_id=ids[code],
                    author_id=author,
                    text=trusted(TYPED),
                    created_at=moment(day),
                )
            )

        update("NCL", MEMBER, date(2026, 7, 2))
        update("NCL", MEMBER, date(2026, 7, 20))
        update("NCL", MEMBER, date(2026, 9, 3))
        update("NRH", OTHER, date(2026, 8, 12))
        update("NCL", MEMBER, date(2026, 5, 5))
        session.add(
            Opportunity(
                organisation_id=ids["NRH"],
                poster_id=OTHER,
                kind="event",
                title=trusted(TYPED),
                description=trusted(TYPED),
                created_at=moment(date(2026, 8, 20)),
            )
        )
        for user_id, code, day, status in (
            (MEMBER, "NCL", date(2026, 7, 14), "confirmed"),
            (MEMBER, "NCL", date(2026, 9, 15), "confirmed"),
            (MEMBER, "NCL", date(2026, 9, 17), "cancelled"),
            (OTHER, "NRH", date(2026, 8, 11), "confirmed"),
        ):
            session.add(
                DeskBooking(
                    organisation_id=ids["HRS"],
                    visitor_id=user_id,
                    visitor_organisation_id=ids[code],
                    day=day,
                    part="day",
                    status=status,
                )
            )
        meeting = PartnershipSession(
            title=trusted(TYPED), kind="strategic", held_on=date(2026, 9, 10), created_by=MEMBER
        )
        session.add(meeting)
        session.flush()
        for code in ("NCL", "NRH"):
            session.add(SessionOrganisation(session_id=meeting.id, organisation_id=ids[code]))
        for status in ("open", "open", "done"):
            session.add(
                Commitment(
                    session_id=meeting.id,
                    owner_id=MEMBER,
                    what=trusted(TYPED),
                    note=trusted(TYPED),
                    status=status,
                    created_by=MEMBER,
                )
            )
        session.commit()
    bot.clock.set(TODAY)


def report(bot: Bot, period: str = "", user_id: str = COORDINATOR) -> tuple[str, dict]:
    """The answer, and the DM's files by extension."""
    answer = shown(bot.ask(f"report {period}".strip(), user_id=user_id))
    bot.fake.wait_for("files.completeUploadExternal", count=2)
    files = {f.filename.rsplit(".", 1)[1]: f for f in bot.fake.uploaded_files(user_id)}
    return answer, files


def personal(bot: Bot) -> list[str]:
    """What must appear nowhere in a report: people's names and ids, and what they typed."""
    with Session(bot.engine) as session:
        stored = [
            value
            for member in session.exec(select(Member)).all()
            for value in (member.name, member.slack_user_id)
            if value
        ]
    return [*stored, *NAMES.values(), *NAMES, "Zanele", "07700", "REF-99817", COORDINATOR]


def test_the_report_counts_the_last_full_quarter_in_a_chart_and_a_spreadsheet(bot: Bot) -> None:
    seed(bot)
    answer, files = report(bot)
    assert "2026-Q3" in answer and "Sent to your DMs" in answer
    assert "Updates: *4* (up 3 from 1" in answer
    assert "Hot-desk visits: *3* (up 3 from 0)" in answer
    assert "no person is named" in answer

    image = files["png"].content
    assert image.startswith(PNG) and 20_000 < len(image) < 1_000_000
    width, height = struct.unpack(">II", image[16:24])  # the IHDR chunk
    assert (width, height) == (1600, 1100)

    book = load_workbook(io.BytesIO(files["xlsx"].content))
    assert book.sheetnames == [
        "Summary", "Activity by month", "By organisation and month", "Visits", "Commitments",
        "Participation",
    ]  # fmt: skip
    rows = {
        name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames
    }
    assert rows["Activity by month"][1:] == [
        ["2026-07", 2, 0, 1, 0],
        ["2026-08", 1, 1, 1, 0],
        ["2026-09", 1, 0, 1, 1],
    ]
    ncl, nrh = "Northside Care Leavers Project", organisation_name(bot, "NRH")
    harbour = organisation_name(bot, "HRS")
    by_org = {(r[0], r[1]): r[2:] for r in rows["By organisation and month"][1:]}
    assert by_org[(ncl, "2026-07")] == [2, 0, 1, 0, 0]
    assert by_org[(ncl, "2026-09")] == [1, 0, 1, 0, 1]
    assert by_org[(nrh, "2026-08")] == [1, 1, 1, 0, 0]
    assert by_org[(harbour, "2026-09")] == [0, 0, 0, 1, 0]
    assert rows["Visits"] == [["Host \\ Visitor", nrh, ncl], [harbour, 1, 2]]  # by name
    assert rows["Commitments"][1:] == [["done", 1], ["open", 2]]
    participation = {r[0]: r[1:] for r in rows["Participation"][1:]}
    assert participation[ncl] == [3, 2, 1] and participation[nrh] == [2, 1, 1]
    summary = {r[0]: r[1:] for r in rows["Summary"][1:]}
    assert summary["Updates"] == [4, 1, 3] and summary["Organisations taking part"] == [3, 1, 2]

    cells = " ".join(str(c) for sheet in rows.values() for row in sheet for c in row)
    everything = [answer, cells, image.decode("latin-1"), files["png"].initial_comment]
    with zipfile.ZipFile(io.BytesIO(files["xlsx"].content)) as parts:  # metadata included
        everything += [parts.read(name).decode() for name in parts.namelist()]
    assert book.properties.creator == "Partnerbot" and not book.properties.lastModifiedBy
    for secret in personal(bot):
        assert all(secret not in text for text in everything), secret


def organisation_name(bot: Bot, code: str) -> str:
    with Session(bot.engine) as session:
        return session.exec(select(Organisation.name).where(Organisation.code == code)).one()


def test_a_csv_partnership_gets_its_tables_in_one_csv(bot: Bot) -> None:
    seed(bot)
    with Session(bot.engine) as session:
        session.get_one(Partnership, 1).report_format = "csv"
        session.commit()
    answer, files = report(bot, "since 1/7")
    assert "since 1 Jul 2026 (so far)" in answer
    text = files["csv"].content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index(["Activity by month"])
    assert rows[start + 1][0] == "Month"
    assert rows[start + 2 : start + 5] == [
        ["2026-07", "2", "0", "1", "0"],
        ["2026-08", "1", "1", "1", "0"],
        ["2026-09", "1", "0", "1", "1"],
    ]
    assert ["Commitments"] in rows and ["open", "2"] in rows
    for secret in personal(bot):
        assert secret not in text, secret


@pytest.mark.parametrize(
    ("period", "months"),
    [("2026-Q3", 3), ("q3 2026", 3), ("2026", 11), ("1/7 to 31/8", 2), ("since 1/9", 3)],
)
def test_each_way_of_naming_a_period(bot: Bot, period: str, months: int) -> None:
    seed(bot)
    _, files = report(bot, period)
    book = load_workbook(io.BytesIO(files["xlsx"].content))
    assert book["Activity by month"].max_row == months + 1


@pytest.mark.parametrize(
    ("period", "said"),
    [
        ("2027", "hasn't started yet"),
        ("2026-Q4x", "couldn't read"),
        ("1/12/2026 to 5/12/2026", "after today"),
        ("someday", "couldn't read"),
        ("30/9 to 1/7", "ends on 1 Jul 2027, after today"),
        ("30/9/2026 to 1/7/2026", "earlier date to the later"),
        ("2025-Q1", "Nothing happened in 2025-Q1"),
    ],
)
def test_a_bad_period_is_answered_plainly_and_nothing_is_sent(
    bot: Bot, period: str, said: str
) -> None:
    seed(bot)
    answer = shown(bot.ask(f"report {period}", user_id=COORDINATOR))
    assert said in answer
    assert bot.fake.uploaded_files(COORDINATOR) == []


def test_only_coordinators_get_the_report(bot: Bot) -> None:
    seed(bot)
    answer = shown(bot.ask("report", user_id=MEMBER))
    assert "Only the partnership's coordinators can run the partnership's report" in answer
    assert bot.fake.uploaded_files(MEMBER) == []
