"""The report's figures as tables, written as an XLSX workbook (a sheet a table) or one CSV
file (the tables one after another, each under a title row)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.services.report.figures import BY_ORG, KINDS, NONE, Figures

Row = Sequence[str | int]
Table = tuple[str, list[Row]]  # a title, then rows (the first is the header)

UNAFFILIATED = "(no organisation)"
HEADLINES = {
    "updates": "Updates",
    "opportunities": "Opportunities shared",
    "visits": "Hot-desk visits",
    "sessions": "Sessions held",
}


def tables(figures: Figures) -> list[Table]:
    """Summary, activity by month, by organisation and month, visits, commitments,
    participation."""
    this, before = figures.this, figures.before
    names = {org: name for org, (_, name) in figures.organisations.items()}
    names[NONE] = UNAFFILIATED
    months = figures.period.months()
    summary: list[Row] = [("Figure", "This period", "Previous period", "Change")]
    for kind in KINDS:
        now, then = this.total(kind), before.total(kind)
        summary.append((HEADLINES[kind], now, then, now - then))
    now, then = len(this.taking_part()), len(before.taking_part())
    summary.append(("Organisations taking part", now, then, now - then))
    for label, told in (("Visits with a story", True), ("Visits without a story", False)):
        now, then = (
            counts.with_story if told else counts.without_story
            for counts in (this.stories, before.stories)
        )
        summary.append((label, now, then, now - then))

    monthly: list[Row] = [("Month", *(HEADLINES[kind] for kind in KINDS))]
    per_month = {kind: this.monthly(kind) for kind in KINDS}
    monthly += [(month, *(per_month[kind][month] for kind in KINDS)) for month in months]

    by_org: list[Row] = [
        ("Organisation", "Month", "Updates", "Opportunities shared", "Visits made",
         "Visits hosted", "Sessions attended"),
    ]  # fmt: skip
    for org in [*figures.organisations, NONE]:
        for month in months:
            row = [this.by_org[column][(org, month)] for column in BY_ORG]
            if any(row):
                by_org.append((names[org], month, *row))

    hosts = sorted({host for host, _ in this.visits}, key=lambda org: names.get(org, ""))
    guests = sorted({guest for _, guest in this.visits}, key=lambda org: names.get(org, ""))
    visits: list[Row] = [("Host \\ Visitor", *(names.get(org, "?") for org in guests))]
    visits += [
        (names.get(host, "?"), *(this.visits[(host, guest)] for guest in guests)) for host in hosts
    ]

    commitments: list[Row] = [("Status", "Commitments")]
    commitments += [(status, this.commitments[status]) for status in sorted(this.commitments)]

    posted = this.per_organisation("updates") + this.per_organisation("opportunities")
    visited, attended = this.per_organisation("visited"), this.per_organisation("attended")
    participation: list[Row] = [("Organisation", "Posted", "Visited", "Attended")]
    participation += [
        (name, posted[org], visited[org], attended[org])
        for org, (_, name) in figures.organisations.items()
    ]
    return [
        ("Summary", summary),
        ("Activity by month", monthly),
        ("By organisation and month", by_org),
        ("Visits", visits),
        ("Commitments", commitments),
        ("Participation", participation),
    ]


def xlsx_bytes(figures: Figures) -> bytes:
    # openpyxl is imported by the first spreadsheet a process writes, not by every web worker.
    from openpyxl import Workbook

    book = Workbook()
    book.properties.creator = "Partnerbot"
    for index, (title, rows) in enumerate(tables(figures)):
        sheet = book.worksheets[0] if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(figures: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, (title, rows) in enumerate(tables(figures)):
        if index:
            writer.writerow([])
        writer.writerow([title])
        writer.writerows(rows)
    return out.getvalue()
