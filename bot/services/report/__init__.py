"""The coordinators' report (`/partners report`): a period's activity by organisation and
month, as a chart sheet (PNG) and the figures (XLSX or CSV), with the headline changes against
the period before. Organisations and counts only: no person is named, nothing typed is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from bot.db import read_scope
from bot.partnership_cache import partnership_settings
from bot.services.directory import NotCoordinator, is_coordinator
from bot.services.refusal import Refusal
from bot.services.report.chart import chart_png
from bot.services.report.figures import KINDS, Figures, gather
from bot.services.report.period import Period, parse_period
from bot.services.report.sheets import HEADLINES, csv_text, xlsx_bytes

__all__ = ["Headline", "Report", "ReportFile", "Reports"]


@dataclass(frozen=True)
class ReportFile:
    filename: str
    title: str
    content: bytes


@dataclass(frozen=True)
class Headline:
    label: str
    now: int
    before: int


@dataclass(frozen=True)
class Report:
    period: Period
    previous: Period
    headlines: list[Headline]
    chart: ReportFile
    figures: ReportFile


class Reports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def build(self, user_id: str, period_text: str, today: date) -> Report:
        """The report for the period `period_text` names (the last full quarter if empty).
        Refused for anyone but a coordinator, and for a period with nothing in it."""
        with read_scope(self.engine) as session:
            if not is_coordinator(session, user_id):
                raise NotCoordinator("run the partnership's report")
            period = parse_period(period_text, today)
            figures = gather(session, period)
            form = partnership_settings(session).report_format
        if figures.this.empty:
            raise Refusal(
                f"Nothing happened in {period.name}: no updates, opportunities, visits or "
                "sessions, so there is no report to draw. Try a longer period, such as "
                f"`/partners report {period.first.year}`."
            )
        return _report(figures, form)


def _report(figures: Figures, form: str) -> Report:
    period, this, before = figures.period, figures.this, figures.before
    headlines = [Headline(HEADLINES[k], this.total(k), before.total(k)) for k in KINDS]
    headlines.append(
        Headline("Organisations taking part", len(this.taking_part()), len(before.taking_part()))
    )
    stem = f"partnership-report-{period.first:%Y-%m-%d}-to-{period.last:%Y-%m-%d}"
    if form == "csv":
        sheet = ReportFile(f"{stem}.csv", "Report figures (CSV)", csv_text(figures).encode())
    else:
        sheet = ReportFile(f"{stem}.xlsx", "Report figures (spreadsheet)", xlsx_bytes(figures))
    chart = ReportFile(f"{stem}.png", f"Partnership activity, {period.name}", chart_png(figures))
    return Report(period, period.before(), headlines, chart, sheet)
