"""The report's chart sheet: one PNG of four charts, drawn without a display (Agg).

matplotlib is imported by the first report a process draws, not at start-up: it is a third of
a web worker's memory, and most workers never draw a report."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.services.report.figures import KINDS, NONE, Figures

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABELS = {
    "updates": "Updates",
    "opportunities": "Opportunities shared",
    "visits": "Hot-desk visits",
    "sessions": "Sessions",
}
MOST = 15  # organisations drawn in the matrix and the participation chart: the most active
SIZE = (16, 11)  # inches, at DPI: 1600 × 1100 pixels
DPI = 100


def chart_png(figures: Figures) -> bytes:
    """The four charts on one sheet, as PNG bytes with no metadata but the image's own. Drawn
    on its own Agg canvas, not through pyplot: no display, and no global state between threads."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    _draw(figure, figures)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _draw(figure: Figure, figures: Figures) -> None:
    counts, period = figures.this, figures.period
    codes = {org: code for org, (code, _) in figures.organisations.items()} | {NONE: "(none)"}
    figure.suptitle(f"Partnership activity, {period.name}", fontsize=16)
    monthly, matrix, statuses, taking_part = figure.subplots(2, 2).flat

    months = period.months()
    width = 0.8 / len(KINDS)
    for index, kind in enumerate(KINDS):
        per_month = counts.monthly(kind)
        places = [month + (index - 1.5) * width for month in range(len(months))]
        bars = monthly.bar(places, [per_month[m] for m in months], width, label=LABELS[kind])
        monthly.bar_label(bars, fontsize=7)  # sessions are few beside updates: still readable
    monthly.set_xticks(range(len(months)), months, rotation=45 if len(months) > 6 else 0)
    monthly.set_title("Activity per month")
    monthly.legend()

    visiting: dict[int, int] = {}
    for (host, guest), number in counts.visits.items():
        visiting[host] = visiting.get(host, 0) + number
        visiting[guest] = visiting.get(guest, 0) + number
    shown = sorted(visiting, key=lambda org: (-visiting[org], codes.get(org, "")))[:MOST]
    grid = [[counts.visits[(host, guest)] for guest in shown] for host in shown]
    if shown:
        image = matrix.imshow(grid, cmap="Blues")
        figure.colorbar(image, ax=matrix)
        labels = [codes.get(org, "?") for org in shown]
        matrix.set_xticks(range(len(shown)), labels, rotation=90)
        matrix.set_yticks(range(len(shown)), labels)
    matrix.set_xlabel("Visiting organisation")
    matrix.set_ylabel("Host organisation")
    matrix.set_title("Hot-desk visits: who hosted whom" + _most(len(visiting)))

    names = sorted(counts.commitments)
    statuses.bar(names, [counts.commitments[name] for name in names], color="tab:green")
    statuses.set_title("Commitments made at the period's sessions, by status")

    parts = {
        "Posted": counts.per_organisation("updates") + counts.per_organisation("opportunities"),
        "Visited": counts.per_organisation("visited"),
        "Attended": counts.per_organisation("attended"),
    }
    active = {org: sum(part[org] for part in parts.values()) for org in counts.taking_part()}
    top = sorted(active, key=lambda org: (-active[org], codes.get(org, "")))[:MOST]
    left = [0] * len(top)
    for label, part in parts.items():
        values = [part[org] for org in top]
        taking_part.barh([codes.get(org, "?") for org in top], values, left=left, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    taking_part.invert_yaxis()
    taking_part.set_title("Organisations' participation" + _most(len(active)))
    taking_part.legend()
    figure.tight_layout()


def _most(count: int) -> str:
    return f" (the {MOST} most active of {count})" if count > MOST else ""
