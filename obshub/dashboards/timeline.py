"""Bokeh figures for the dashboards: the night's timeline per telescope, the night report.

Figures are rebuilt from data and swapped into a :class:`BokehSlot` when the data change:
jupyter_bokeh's incremental patches (``source.data = …`` after display) are not drawn under
Voila here (measured with bokeh 3.9 / jupyter_bokeh 4.1), a fresh model always is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import ipywidgets as w
from bokeh.models import (
    ColumnDataSource,
    DatetimeTickFormatter,
    HoverTool,
    LinearAxis,
    Range1d,
    Span,
)
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


class BokehSlot:
    """A place in a widget tree for a bokeh figure that is replaced when its data change."""

    def __init__(self) -> None:
        self.widget = w.Box(layout=w.Layout(width="100%"))
        self.key: Any = object()
        self.renders = 0

    def show(self, key: Any, build: Any) -> bool:
        """Show ``build()`` unless ``key`` (the data drawn) is what is shown already."""
        if key == self.key:
            return False
        from jupyter_bokeh import BokehModel

        self.widget.children = [BokehModel(build(), layout=w.Layout(width="100%"))]
        self.key = key
        self.renders += 1
        return True


def timeline_data(blocks: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns for :func:`timeline_figure` from normalised blocks."""
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("telescope", "start", "end", "target", "owner", "priority", "state", "colour")
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
    return cols


def timeline_figure(blocks: list[dict[str, Any]], now: datetime | None = None) -> Any:
    """One row per telescope, one bar per block coloured by state, a red line at now."""
    data = timeline_data(blocks)
    rows = sorted(set(data["telescope"]), reverse=True) or ["(nothing planned)"]
    fig = figure(
        y_range=rows,
        x_axis_type="datetime",
        height=110 + 48 * len(rows),
        sizing_mode="stretch_width",
        title="Tonight's plan per telescope (UTC)",
        toolbar_location="right",
        tools="xpan,xwheel_zoom,reset",
    )
    source = ColumnDataSource(data)
    bars = fig.hbar(
        y="telescope",
        left="start",
        right="end",
        height=0.6,
        fill_color="colour",
        line_color="white",
        source=source,
    )
    fig.text(
        x="start",
        y="telescope",
        text="target",
        source=source,
        text_font_size="8pt",
        text_baseline="middle",
        x_offset=4,
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
    at = (now or datetime.now(UTC)).timestamp() * 1000
    fig.add_layout(Span(dimension="height", line_color="#b3261e", line_width=2, location=at))
    fig.ygrid.grid_line_color = None
    return fig


def report_figure(figures: dict[str, dict[str, float]]) -> Any:
    """Stacked horizontal bars: per telescope, hours spent on each activity."""
    keys = [k for k, _ in REPORT_FIELDS]
    names = sorted(figures, reverse=True)
    data: dict[str, list[Any]] = {"telescope": names}
    for k in keys:
        data[k] = [figures[n].get(k, 0.0) / 3600.0 for n in names]
    fig = figure(
        y_range=names or ["(no report)"],
        height=150 + 48 * max(1, len(names)),
        sizing_mode="stretch_width",
        title="Where the night went (hours)",
        toolbar_location=None,
    )
    fig.hbar_stack(
        keys,
        y="telescope",
        height=0.6,
        color=REPORT_COLOURS[: len(keys)],
        source=ColumnDataSource(data),
        legend_label=[label for _, label in REPORT_FIELDS],
    )
    fig.legend.location = "top_right"
    fig.legend.orientation = "horizontal"
    fig.add_layout(fig.legend[0], "below")
    fig.add_tools(HoverTool(tooltips=[(label, f"@{k}{{0.00}} h") for k, label in REPORT_FIELDS]))
    fig.ygrid.grid_line_color = None
    fig.x_range.start = 0
    return fig


def history_figure(t_ms: list[float], alt: list[float], cloud: list[float]) -> Any:
    """Pointing altitude and cloud cover over the session."""
    fig = figure(
        height=220,
        sizing_mode="stretch_width",
        x_axis_type="datetime",
        title="Pointing altitude and cloud cover, this session (UTC)",
        toolbar_location=None,
        y_range=Range1d(0, 90),
    )
    source = ColumnDataSource({"t": t_ms, "alt": alt, "cloud": cloud})
    fig.line("t", "alt", source=source, line_width=2, color="#2456a6", legend_label="altitude °")
    fig.scatter("t", "alt", source=source, size=4, color="#2456a6")
    fig.extra_y_ranges = {"cloud": Range1d(0, 100)}
    fig.add_layout(LinearAxis(y_range_name="cloud", axis_label="cloud %"), "right")
    fig.line(
        "t",
        "cloud",
        source=source,
        y_range_name="cloud",
        color="#888",
        line_dash="dashed",
        legend_label="cloud %",
    )
    fig.legend.location = "top_left"
    fig.yaxis[0].axis_label = "altitude °"
    fig.xaxis.formatter = DatetimeTickFormatter(
        milliseconds="%H:%M:%S", seconds="%H:%M:%S", minsec="%H:%M:%S", minutes="%H:%M"
    )
    return fig
