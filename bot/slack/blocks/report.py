"""The coordinators' report: its summary, sent with the files and as the command's answer."""

from __future__ import annotations

from bot.services.report import Headline, Report
from bot.slack.blocks.common import Message, context, section

ANONYMOUS = (
    "Organisations and counts only: no person is named in the report, and nothing anyone "
    "typed appears in it."
)


def summary_text(report: Report) -> str:
    """The period's headline figures, each against the period of the same length before."""
    lines = [f"*Partnership report, {report.period.name}*"]
    lines += [f"• {line.label}: *{line.now}* ({_change(line)})" for line in report.headlines]
    lines.append(f"_Changes are against {report.previous.name}._")
    return "\n".join(lines)


def report_comment(report: Report) -> str:
    """What the chart carries into the DM."""
    return f"{summary_text(report)}\n{ANONYMOUS}"


def report_sent(report: Report) -> Message:
    text = summary_text(report)
    files = f"{report.chart.filename} and {report.figures.filename}"
    return Message(
        text=f":bar_chart: Sent to your DMs: {files}.\n{text}",
        blocks=[
            section(f":bar_chart: Sent to your DMs: the chart sheet and the figures ({files})."),
            section(text),
            context(ANONYMOUS),
        ],
    )


def _change(line: Headline) -> str:
    difference = line.now - line.before
    if not difference:
        return f"the same as before, {line.before}"
    trend = "up" if difference > 0 else "down"
    percent = f", {abs(difference) / line.before:.0%}" if line.before else ""
    return f"{trend} {abs(difference)} from {line.before}{percent}"
