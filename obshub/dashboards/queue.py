"""The scheduler queue dashboard: tonight's timeline, the queue, what could not be scheduled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import ipywidgets as w

from obshub.dashboards.live import LiveLoop
from obshub.dashboards.plan import ALL, filtered, normalise_plan, options, to_datetime
from obshub.dashboards.sources import Source, source_from_env
from obshub.dashboards.status import setup_bokeh
from obshub.dashboards.style import CSS, badge, esc, table, value
from obshub.dashboards.timeline import BokehSlot, timeline_data, timeline_figure

STATE_LEVEL = {
    "running": "ok",
    "done": "ok",
    "completed": "ok",
    "failed": "bad",
    "aborted": "warn",
    "queued": "idle",
    "scheduled": "idle",
}


def _hm(v: Any) -> str:
    try:
        return to_datetime(v).strftime("%H:%M")
    except (ValueError, TypeError):
        return esc(v)


def _short_id(v: Any) -> str:
    """Request ids as people read them: a UUID's first eight characters."""
    text = "" if v is None else str(v)
    if len(text) == 36 and text.count("-") == 4:
        return f'<span title="{esc(text)}">{esc(text[:8])}</span>'
    return esc(v)


def queue_html(plan: dict[str, Any]) -> str:
    """The queue table: requests by priority with owner and state."""
    rows = sorted(plan.get("queue", []), key=lambda r: -float(r.get("priority") or 0))
    if not rows:
        return '<p class="obshub-muted" data-key="queue-empty">The queue is empty.</p>'
    return table(
        ["Request", "Target", "Owner", "Program", "Priority", "Telescope", "State"],
        [
            [
                _short_id(r.get("request")),
                esc(r.get("target")),
                esc(r.get("owner")),
                esc(r.get("program")),
                esc(r.get("priority")),
                esc(r.get("telescope")),
                badge(str(r.get("state", "queued")), STATE_LEVEL.get(str(r.get("state")), "idle")),
            ]
            for r in rows
        ],
        "queue",
    )


def blocks_html(plan: dict[str, Any]) -> str:
    rows = sorted(plan.get("blocks", []), key=lambda b: (b["start_dt"], str(b["telescope"])))
    if not rows:
        return '<p class="obshub-muted" data-key="blocks-empty">Nothing planned.</p>'
    return table(
        ["Start", "End", "Telescope", "Target", "Owner", "Priority", "State"],
        [
            [
                _hm(b["start_dt"]),
                _hm(b["end_dt"]),
                esc(b.get("telescope")),
                esc(b.get("target")),
                esc(b.get("owner")),
                esc(b.get("priority")),
                badge(str(b.get("state")), STATE_LEVEL.get(str(b.get("state")), "idle")),
            ]
            for b in rows
        ],
        "blocks",
    )


def unscheduled_html(plan: dict[str, Any]) -> str:
    rows = plan.get("unscheduled", [])
    if not rows:
        return (
            '<p class="obshub-muted" data-key="unscheduled-empty">Every request found a slot.</p>'
        )
    return table(
        ["Request", "Target", "Owner", "Why not"],
        [
            [
                _short_id(r.get("request")),
                esc(r.get("target")),
                esc(r.get("owner")),
                esc(r.get("reason")),
            ]
            for r in rows
        ],
        "unscheduled",
    )


def programs_html(plan: dict[str, Any]) -> str:
    rows = plan.get("programs", [])
    if not rows:
        return '<p class="obshub-muted">No monitoring programs.</p>'
    out = []
    for r in rows:
        done, total = int(r.get("done") or 0), max(1, int(r.get("total") or 1))
        pct = min(100, round(100 * done / total))
        out.append(
            f"<div style='margin:3px 0'><b>{esc(r.get('program'))}</b> "
            f"<span class='obshub-muted'>{esc(r.get('owner'))}</span> "
            f"{value(f'{done}/{total}', 'program.' + str(r.get('program')))}"
            f"<div style='background:#eef0f4;width:320px;height:8px;border-radius:4px'>"
            f"<div style='background:#2456a6;width:{pct}%;height:8px;border-radius:4px'></div></div></div>"
        )
    return "".join(out)


class QueueDashboard:
    """Tonight's plan per telescope as a timeline, with the queue and what was left out.

    Parameters
    ----------
    source
        Where data comes from.
    interval
        Seconds between refreshes.
    """

    def __init__(self, source: Source | None = None, interval: float = 10.0):
        self.source = source or source_from_env()
        self.plan: dict[str, Any] | None = None
        self.site = w.Dropdown(options=[ALL], value=ALL, description="Site")
        self.telescope = w.Dropdown(options=[ALL], value=ALL, description="Telescope")
        self.owner = w.Dropdown(options=[ALL], value=ALL, description="User")
        for d in (self.site, self.telescope, self.owner):
            d.observe(lambda _c: self.redraw(), names="value")
        self.summary = w.HTML()
        self.timeline = BokehSlot()
        self.blocks = w.HTML()
        self.queue = w.HTML()
        self.unscheduled = w.HTML()
        self.programs = w.HTML()
        self.loop = LiveLoop(self.update, interval)
        self.widget = w.VBox(
            [
                w.HTML(CSS),
                self.loop.banner,
                w.HBox([self.site, self.telescope, self.owner]),
                self.summary,
                self.timeline.widget,
                w.HTML("<h3>Blocks</h3>"),
                self.blocks,
                w.HTML("<h3>Queue</h3>"),
                self.queue,
                w.HTML("<h3>Could not be scheduled</h3>"),
                self.unscheduled,
                w.HTML("<h3>Monitoring programs</h3>"),
                self.programs,
            ]
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    async def update(self) -> None:
        raw = await self.source.plan()
        self.plan = None if raw is None else normalise_plan(raw)
        if self.plan is not None:
            for d, key in (
                (self.site, "site"),
                (self.telescope, "telescope"),
                (self.owner, "owner"),
            ):
                opts = options(self.plan, key)
                if list(d.options) != opts:
                    keep = d.value if d.value in opts else ALL
                    d.options = opts
                    d.value = keep
        self.redraw()

    def redraw(self) -> None:
        if self.plan is None:
            self.summary.value = '<p class="obshub-muted" data-key="summary">No plan yet: the scheduler has not run tonight.</p>'
            self.timeline.show("none", lambda: timeline_figure([]))
            return
        p = filtered(self.plan, self.site.value, self.telescope.value, self.owner.value)
        gen = self.plan.get("generated")
        when = _hm(gen) + " UTC" if gen else "–"
        self.summary.value = (
            f'<p data-key="summary">{len(p["blocks"])} blocks on '
            f"{len({b['telescope'] for b in p['blocks']})} telescopes, {len(p['queue'])} queued, "
            f"{len(p['unscheduled'])} not schedulable · plan made {esc(when)} · "
            f"shown {datetime.now(UTC).strftime('%H:%M:%S')} UTC</p>"
        )
        # The now line moves too: redraw at least every five minutes.
        key = (repr(timeline_data(p["blocks"])), int(datetime.now(UTC).timestamp() // 300))
        self.timeline.show(key, lambda: timeline_figure(p["blocks"]))
        self.blocks.value = blocks_html(p)
        self.queue.value = queue_html(p)
        self.unscheduled.value = unscheduled_html(p)
        self.programs.value = programs_html(p)

    def start(self) -> QueueDashboard:
        self.loop.start()
        return self


async def queue_dashboard(interval: float = 10.0, source: Source | None = None) -> QueueDashboard:
    """Build the queue dashboard, fill it once, then keep it live (for a Voila notebook)."""
    setup_bokeh()
    dash = QueueDashboard(source, interval)
    await asyncio.wait_for(dash.loop.once(), timeout=30)
    return dash.start()
