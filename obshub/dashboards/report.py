"""The night report dashboard: per telescope, where the night's time went."""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as w

from obshub.dashboards.live import LiveLoop
from obshub.dashboards.plan import REPORT_FIELDS, from_executor, normalise_report
from obshub.dashboards.sources import Source, source_from_env
from obshub.dashboards.status import setup_bokeh
from obshub.dashboards.style import CSS, esc, table, value
from obshub.dashboards.timeline import BokehSlot, report_figure


def _hours(s: float | None) -> str:
    if s is None:
        return "–"
    h, m = divmod(round(s / 60), 60)
    return f"{h}h{m:02d}"


def report_html(figures: dict[str, dict[str, float]]) -> str:
    """The report as a table; a figure the executor did not record shows as –."""
    if not figures:
        return '<p class="obshub-muted" data-key="report-empty">No night report yet.</p>'
    rows = []
    for name in sorted(figures):
        f = figures[name]
        rows.append(
            [esc(name)]
            + [value(_hours(f.get(k)), f"{name}.{k}") for k, _ in REPORT_FIELDS]
            + [esc(int(f["frames"]) if "frames" in f else None)]
        )
    return table(["Telescope", *[label for _, label in REPORT_FIELDS], "Frames"], rows, "report")


class NightReportDashboard:
    """Per telescope: time exposing, slewing, waiting for safety and lost to sync."""

    def __init__(self, source: Source | None = None, interval: float = 30.0):
        self.source = source or source_from_env()
        self.chart = BokehSlot()
        self.header = w.HTML()
        self.table = w.HTML()
        self.loop = LiveLoop(self.update, interval)
        self.widget = w.VBox(
            [w.HTML(CSS), self.loop.banner, self.header, self.chart.widget, self.table]
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    async def update(self) -> None:
        raw = await self.source.night_report()
        if raw is not None and "telescopes" not in raw and "blocks" in raw:
            raw = from_executor(raw)
        figures = {} if raw is None else normalise_report(raw)
        night = (raw or {}).get("night")
        self.header.value = f'<p data-key="night">Night of {esc(night)}</p>' if night else ""
        self.chart.show(repr(sorted(figures.items())), lambda: report_figure(figures))
        self.table.value = report_html(figures)

    def start(self) -> NightReportDashboard:
        self.loop.start()
        return self


async def night_report_dashboard(
    interval: float = 30.0, source: Source | None = None
) -> NightReportDashboard:
    setup_bokeh()
    dash = NightReportDashboard(source, interval)
    await asyncio.wait_for(dash.loop.once(), timeout=30)
    return dash.start()
