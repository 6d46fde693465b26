"""The station status dashboard: every station's devices, what runs now, the latest frame."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import ipywidgets as w
from astropy.coordinates import Angle

from obshub.dashboards.live import LiveLoop
from obshub.dashboards.plan import normalise_plan, running_now
from obshub.dashboards.sources import Source, source_from_env
from obshub.dashboards.style import CSS, badge, esc, value

log = logging.getLogger(__name__)

KIND_ORDER = [
    "safetymonitor",
    "observingconditions",
    "dome",
    "cover",
    "mount",
    "camera",
    "filterwheel",
    "focuser",
    "rotator",
    "switch",
]
KIND_TITLE = {
    "safetymonitor": "Safety",
    "observingconditions": "Weather",
    "dome": "Dome / roof",
    "cover": "Cover",
    "mount": "Mount",
    "camera": "Camera",
    "filterwheel": "Filter wheel",
    "focuser": "Focuser",
    "rotator": "Rotator",
    "switch": "Power",
}
WEATHER = [
    ("cloudcover", "Cloud cover", "%", 0),
    ("temperature", "Temperature", "°C", 1),
    ("humidity", "Humidity", "%", 0),
    ("dewpoint", "Dew point", "°C", 1),
    ("windspeed", "Wind", "m/s", 1),
    ("skyquality", "Sky quality", "mag/″²", 2),
    ("rainrate", "Rain", "mm/h", 1),
]


def _num(v: Any, digits: int = 1, unit: str = "") -> str | None:
    if v is None:
        return None
    try:
        return f"{float(v):.{digits}f}{(' ' + unit) if unit else ''}"
    except (TypeError, ValueError):
        return str(v)


def _rows(name: str, pairs: list[tuple[str, str, Any]]) -> str:
    body = "".join(
        f'<tr><td class="k">{esc(label)}</td><td>{value(v, f"{name}.{key}")}</td></tr>'
        for label, key, v in pairs
    )
    return f"<table>{body}</table>"


def device_rows(name: str, snap: dict[str, Any]) -> str:
    """The rows of one device's card, by kind (unknown kinds show their raw fields)."""
    kind = snap.get("kind", "")
    if kind == "mount":
        ra = snap.get("ra_deg")
        dec = snap.get("dec_deg")
        state = (
            "parked"
            if snap.get("parked")
            else "slewing"
            if snap.get("slewing")
            else "tracking"
            if snap.get("tracking")
            else "stopped"
        )
        return _rows(
            name,
            [
                ("State", "state", state),
                (
                    "RA",
                    "ra",
                    None
                    if ra is None
                    else Angle(ra, "deg").to_string("hourangle", sep=":", precision=0),
                ),
                (
                    "Dec",
                    "dec",
                    None
                    if dec is None
                    else Angle(dec, "deg").to_string(sep=":", precision=0, alwayssign=True),
                ),
                (
                    "Alt / Az",
                    "altaz",
                    f"{_num(snap.get('alt_deg'))}° / {_num(snap.get('az_deg'))}°",
                ),
                ("Pier side", "pier", snap.get("side_of_pier")),
            ],
        )
    if kind == "camera":
        cooler = snap.get("cooler_on")
        power = snap.get("cooler_power")
        cool = (
            None
            if cooler is None
            else ("on" if cooler else "off")
            + (f" ({power:.0f} %)" if cooler and power is not None else "")
        )
        b = snap.get("binning") or []
        return _rows(
            name,
            [
                ("Activity", "state", snap.get("state")),
                ("Sensor", "temp", _num(snap.get("ccd_temp_c"), 1, "°C")),
                ("Cooler", "cooler", cool),
                ("Binning", "binning", "×".join(map(str, b)) if b else None),
            ],
        )
    if kind == "filterwheel":
        return _rows(name, [("Filter", "filter", snap.get("filter") or "moving")])
    if kind == "focuser":
        return _rows(
            name,
            [
                ("Position", "position", snap.get("position")),
                ("Moving", "moving", "yes" if snap.get("moving") else "no"),
                ("Temperature", "temp", _num(snap.get("temperature_c"), 1, "°C")),
            ],
        )
    if kind == "rotator":
        return _rows(name, [("Angle", "angle", _num(snap.get("angle_deg"), 1, "°"))])
    if kind == "dome":
        return _rows(
            name,
            [
                ("Shutter", "shutter", snap.get("shutter")),
                ("Azimuth", "azimuth", _num(snap.get("azimuth_deg"), 1, "°")),
            ],
        )
    if kind == "cover":
        return _rows(name, [("Cover", "cover", snap.get("cover"))])
    if kind == "safetymonitor":
        safe = snap.get("safe")
        return badge("SAFE" if safe else "UNSAFE", "ok" if safe else "bad", key=f"{name}.safe")
    if kind == "observingconditions":
        return _rows(
            name,
            [
                (label, key, _num(snap.get(key), d, unit))
                for key, label, unit, d in WEATHER
                if snap.get(key) is not None
            ],
        )
    if kind == "switch":
        return _rows(
            name,
            [
                (
                    s.get("outlet") or s.get("name"),
                    f"{s.get('index')}",
                    "on" if s.get("value") else "off",
                )
                for s in snap.get("switches", [])
            ],
        )
    skip = {"name", "kind", "protocol", "address", "ok", "connected"}
    return _rows(name, [(k, k, v) for k, v in snap.items() if k not in skip])


def device_card(name: str, snap: dict[str, Any]) -> str:
    kind = snap.get("kind", "device")
    title = KIND_TITLE.get(kind, kind)
    short = name if kind in ("safetymonitor", "observingconditions", "dome", "cover") else name
    if not snap.get("ok", True):
        return (
            f'<div class="obshub-card obshub-down"><h4>{esc(title)}</h4>'
            f'<div class="obshub-muted">{esc(short)}</div>'
            f"{badge('DOWN', 'bad', key=f'{name}.down')}<div>{esc(snap.get('error'))}</div></div>"
        )
    return (
        f'<div class="obshub-card"><h4>{esc(title)}</h4><div class="obshub-muted">{esc(short)}</div>'
        f"{device_rows(name, snap)}</div>"
    )


def observing_html(obs: dict[str, Any] | None) -> str:
    if not obs:
        return (
            '<span data-key="observing" class="obshub-muted">Nothing scheduled is running.</span>'
        )
    parts = [f"<b>{esc(obs.get('target'))}</b>"]
    if obs.get("owner"):
        parts.append(f"for {esc(obs.get('owner'))}")
    if obs.get("telescope"):
        parts.append(f"on {esc(obs.get('telescope'))}")
    if obs.get("filter"):
        parts.append(f"in {esc(obs.get('filter'))}")
    if obs.get("progress") is not None:
        parts.append(f"({esc(obs.get('progress'))})")
    return f'<span data-key="observing">{" ".join(parts)}</span>'


def station_html(status: dict[str, Any]) -> str:
    """One station as a header and a wrap of device cards (pure: tested without a kernel)."""
    devices: dict[str, dict[str, Any]] = status.get("devices", {})
    site = status.get("site", {}) or {}
    safety = [s for s in devices.values() if s.get("kind") == "safetymonitor"]
    if safety and all(s.get("ok", True) for s in safety):
        verdict = (
            badge("SAFE", "ok", "verdict")
            if all(s.get("safe") for s in safety)
            else badge("UNSAFE", "bad", "verdict")
        )
    else:
        verdict = badge("SAFETY UNKNOWN", "warn", "verdict")
    where = ""
    if site.get("latitude") is not None:
        where = f"{float(site['latitude']):.2f}°, {float(site['longitude']):.2f}°, {site.get('elevation', 0):.0f} m"
    cards = sorted(
        devices.items(),
        key=lambda kv: (
            KIND_ORDER.index(kv[1].get("kind")) if kv[1].get("kind") in KIND_ORDER else 99,
            kv[0],
        ),
    )
    return (
        f'<div class="obshub-dash" data-station="{esc(status.get("station"))}">'
        f"<h2>{esc(status.get('station'))} {verdict}</h2>"
        f'<div class="obshub-muted">{esc(where)}</div>'
        f"<p>Now: {observing_html(status.get('observing'))}</p>"
        f'<div class="obshub-cards">{"".join(device_card(n, s) for n, s in cards)}</div></div>'
    )


class StationView:
    """Widgets for one station: the HTML cards and the latest-frame thumbnail."""

    def __init__(self) -> None:
        self.cards = w.HTML()
        # Hidden until there is a frame: an empty image shows as a broken icon.
        self.thumb = w.Image(
            format="png", layout=w.Layout(width="256px", height="auto", display="none")
        )
        self.thumb_caption = w.HTML('<span class="obshub-muted">No frame yet.</span>')
        self.widget = w.HBox(
            [
                w.Box([self.cards], layout=w.Layout(flex="1 1 auto")),
                w.VBox(
                    [w.HTML("<b>Latest frame</b>"), self.thumb, self.thumb_caption],
                    layout=w.Layout(width="280px", flex="0 0 auto"),
                ),
            ],
            layout=w.Layout(border_bottom="1px solid #d5dae3", padding="0 0 8px 0"),
        )

    def update(self, status: dict[str, Any]) -> None:
        html = station_html(status)
        if html != self.cards.value:  # unchanged values send nothing to the browser
            self.cards.value = html
        frame = status.get("latest_frame")
        if frame and frame.get("png"):
            if bytes(self.thumb.value or b"") != frame["png"]:
                self.thumb.value = frame["png"]
                self.thumb.layout.display = None
            cap = " · ".join(
                esc(x)
                for x in (frame.get("object"), frame.get("filter"), frame.get("date_obs"))
                if x
            )
            self.thumb_caption.value = f'<span class="obshub-muted" data-key="frame" style="word-break:break-all">{esc(frame.get("name"))}<br>{cap}</span>'


class StatusDashboard:
    """Every station's status, refreshed in place every ``interval`` seconds.

    Parameters
    ----------
    source
        Where data comes from (:func:`~obshub.dashboards.sources.source_from_env` by default).
    interval
        Seconds between refreshes.
    """

    #: Seconds between plan reads (for "what runs now"): plans change slowly.
    plan_every = 30.0

    def __init__(self, source: Source | None = None, interval: float = 3.0):
        self.source = source or source_from_env()
        self._plan: dict[str, Any] | None = None
        self._plan_at = -1e9
        self.views: dict[str, StationView] = {}
        self.stations = w.VBox()
        self.clock = w.HTML()
        self.history = AltitudeHistory()
        self.loop = LiveLoop(self.update, interval)
        self.widget = w.VBox(
            [
                w.HTML(CSS),
                self.clock,
                self.loop.banner,
                self.stations,
                self.history.widget,
            ]
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    async def _current_plan(self) -> dict[str, Any] | None:
        if time.monotonic() - self._plan_at >= self.plan_every:
            self._plan_at = time.monotonic()
            try:
                raw = await self.source.plan()
                self._plan = None if raw is None else normalise_plan(raw)
            except Exception as exc:  # status must not go stale because of the plan
                log.debug("plan unreadable for the status page: %s", exc)
                self._plan = None
        return self._plan

    async def update(self) -> None:
        snaps = await self.source.stations()
        plan = await self._current_plan()
        for s in snaps:
            if not s.get("observing") and plan is not None:
                single = len(snaps) == 1
                s["observing"] = running_now(plan, None if single else str(s.get("station")))
            name = str(s.get("station"))
            if name not in self.views:
                self.views[name] = StationView()
                self.stations.children = [v.widget for v in self.views.values()]
            self.views[name].update(s)
        self.history.add(snaps)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self.clock.value = f'<span class="obshub-muted" data-key="updated">Updated {now}</span>'

    def start(self) -> StatusDashboard:
        self.loop.start()
        return self


class AltitudeHistory:
    """Each refresh's mount altitude and cloud cover, drawn every ``redraw_every`` samples."""

    def __init__(self, keep: int = 1200, redraw_every: int = 10) -> None:
        from obshub.dashboards.timeline import BokehSlot

        self.keep = keep
        self.redraw_every = redraw_every
        self.t: list[float] = []
        self.alt: list[float] = []
        self.cloud: list[float] = []
        self.slot = BokehSlot()
        self.widget = self.slot.widget

    def add(self, snaps: list[dict[str, Any]]) -> None:
        from obshub.dashboards.timeline import history_figure

        alt = cloud = None
        for s in snaps[:1]:  # the first station's mount; one plot stays readable
            for d in s.get("devices", {}).values():
                if d.get("kind") == "mount" and d.get("ok", True) and alt is None:
                    alt = d.get("alt_deg")
                if d.get("kind") == "observingconditions" and d.get("ok", True):
                    cloud = d.get("cloudcover")
        nan = float("nan")
        self.t.append(time.time() * 1000)
        self.alt.append(nan if alt is None else float(alt))
        self.cloud.append(nan if cloud is None else float(cloud))
        del self.t[: -self.keep], self.alt[: -self.keep], self.cloud[: -self.keep]
        # Redrawing replaces the plot in the page: not on every sample.
        n = len(self.t)
        if n <= 2 or n % self.redraw_every == 0:
            self.slot.show(n, lambda: history_figure(self.t, self.alt, self.cloud))


def setup_bokeh() -> None:
    """Load BokehJS from the Python package into the page: no CDN, works offline."""
    from bokeh.io import output_notebook
    from bokeh.resources import INLINE

    output_notebook(resources=INLINE, hide_banner=True)


async def status_dashboard(interval: float = 3.0, source: Source | None = None) -> StatusDashboard:
    """Build the status dashboard, fill it once, then keep it live (for a Voila notebook)."""
    setup_bokeh()
    dash = StatusDashboard(source, interval)
    await asyncio.wait_for(dash.loop.once(), timeout=30)
    return dash.start()
