"""Bokeh figures for the dashboards: the night's timeline per telescope, the night report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bokeh.models import ColumnDataSource, FactorRange, HoverTool, Span
from bokeh.plotting import figure

from obshub.dashboards.plan import REPORT_FIELDS

STATE_COLOURS = {
    "scheduled": "#7aa6e0",
    "running": "#2456a6",
    "done": "#1b7f3b",
    "completed": "#1b7f3b",
    "failed": "#b3261e",
    "aborted": "#c27c0e",
    "skipped": "#9aa3b5",
}
REPORT_COLOURS = ["#1b7f3b", "#2456a6", "#c27c0e", "#b3261e", "#9aa3b5"]


def timeline_data(blocks: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns for :func:`timeline_figure` from normalised blocks."""
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "telescope",
            "start",
            "end",
            "target",
            "owner",
            "priority",
            "state",
            "colour",
            "label",
        )
    }
    for b in blocks:
        cols["telescope"].append(str(b["telescope"]))
        cols["start"].append(b["start_dt"])
        cols["end"].append(b["end_dt"])
        cols["target"].append(str(b.get("target", "")))
        cols["owner"].append(str(b.get("owner", "")))
        cols["priority"].append(str(b.get("priority", "")))
        cols["state"].append(str(b.get("state", "")))
        cols["colour"].append(STATE_COLOURS.get(str(b.get("state")), "#7aa6e0"))
        cols["label"].append(str(b.get("target", "")))
    return cols


class Timeline:
    """A live timeline: one row per telescope, one bar per block, a line at now."""

    def __init__(self) -> None:
        self.source = ColumnDataSource(timeline_data([]))
        self.rows = FactorRange(factors=["–"])
        fig = figure(
            y_range=self.rows,
            x_axis_type="datetime",
            height=260,
            sizing_mode="stretch_width",
            title="Tonight's plan per telescope (UTC)",
            toolbar_location="right",
            tools="xpan,xwheel_zoom,reset",
        )
        bars = fig.hbar(
            y="telescope",
            left="start",
            right="end",
            height=0.6,
            fill_color="colour",
            line_color="white",
            source=self.source,
        )
        fig.text(
            x="start",
            y="telescope",
            text="label",
            source=self.source,
            text_font_size="8pt",
            text_baseline="middle",
            x_offset=3,
            text_color="white",
        )
        fig.add_tools(
            HoverTool(
                renderers=[bars],
                tooltips=[
                    ("target", "@target"),
                    ("owner", "@owner"),
                    ("priority", "@priority"),
                    ("state", "@state"),
                    ("start", "@start{%H:%M}"),
                    ("end", "@end{%H:%M}"),
                ],
                formatters={"@start": "datetime", "@end": "datetime"},
            )
        )
        self.now = Span(dimension="height", line_color="#b3261e", line_width=2, location=_now_ms())
        fig.add_layout(self.now)
        fig.ygrid.grid_line_color = None
        self.figure = fig

    def update(self, blocks: list[dict[str, Any]]) -> None:
        data = timeline_data(blocks)
        factors = sorted(set(data["telescope"])) or ["–"]
        if list(self.rows.factors) != factors:
            self.rows.factors = factors
            self.figure.height = 120 + 45 * len(factors)
        if data != dict(self.source.data):
            self.source.data = data
        self.now.location = _now_ms()


def _now_ms() -> float:
    return datetime.now(UTC).timestamp() * 1000


class ReportChart:
    """Stacked horizontal bars: per telescope, hours spent on each activity."""

    def __init__(self) -> None:
        self.keys = [k for k, _ in REPORT_FIELDS]
        self.source = ColumnDataSource({"telescope": [], **{k: [] for k in self.keys}})
        self.rows = FactorRange(factors=["–"])
        fig = figure(
            y_range=self.rows,
            height=240,
            sizing_mode="stretch_width",
            title="Where the night went (hours)",
            toolbar_location=None,
        )
        fig.hbar_stack(
            self.keys,
            y="telescope",
            height=0.6,
            color=REPORT_COLOURS[: len(self.keys)],
            source=self.source,
            legend_label=[label for _, label in REPORT_FIELDS],
        )
        fig.legend.location = "bottom_right"
        fig.legend.orientation = "horizontal"
        fig.add_tools(
            HoverTool(tooltips=[(label, f"@{k}{{0.00}} h") for k, label in REPORT_FIELDS])
        )
        fig.ygrid.grid_line_color = None
        self.figure = fig

    def update(self, figures: dict[str, dict[str, float]]) -> None:
        names = sorted(figures)
        data: dict[str, list[Any]] = {"telescope": names}
        for k in self.keys:
            data[k] = [figures[n].get(k, 0.0) / 3600.0 for n in names]
        if list(self.rows.factors) != (names or ["–"]):
            self.rows.factors = names or ["–"]
            self.figure.height = 140 + 45 * len(names)
        self.source.data = data
