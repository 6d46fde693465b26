"""The whole control panel for one instrument: mount pad, camera, focuser and rotator."""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as w

from obshub.widgets.base import Panel
from obshub.widgets.camera import CameraPanel
from obshub.widgets.mount import MountPad
from obshub.widgets.optics import FocuserControl, RotatorControl


class ControlPanel(Panel):
    """Tabs for every device of one instrument and its mount.

    Parameters
    ----------
    station
        A :class:`~obshub.station.Station` or anything with the same ``instrument(name)``
        method (the service client's remote station).
    instrument
        ``mount.port`` or camera name; the first imaging instrument by default.
    """

    title = "control panel"

    def __init__(self, station: Any, instrument: str | None = None):
        super().__init__()
        unit, inst = station.instrument(instrument)
        self.station = station
        self.mount = MountPad(unit.mount)
        self.camera = CameraPanel(inst.camera, inst.filter_wheel)
        self.focuser = FocuserControl(inst.focuser) if inst.focuser is not None else None
        self.rotator = RotatorControl(inst.rotator) if inst.rotator is not None else None
        self.parts: list[Panel] = [
            p for p in (self.mount, self.camera, self.focuser, self.rotator) if p
        ]
        tabs = w.Tab(children=[p.widget for p in self.parts])
        for i, p in enumerate(self.parts):
            tabs.set_title(i, p.title.capitalize())
        head: list[w.Widget] = [
            w.HTML(f"<h3 style='margin:0'>{getattr(station, 'name', '')} — {inst.name}</h3>")
        ]
        self.telescope = unit.name
        # A shared station (the service's RemoteStation) is controlled under a lease.
        self.leasable = callable(getattr(station, "acquire", None)) and callable(
            getattr(station, "release", None)
        )
        if self.leasable:
            head.append(
                w.HBox(
                    [
                        self.button("Take control", self.take_control, button_style="success"),
                        self.button("Release", self.release_control),
                        self.message,
                    ]
                )
            )
        self.widget = w.VBox([*head, tabs])

    async def take_control(self) -> str:
        """Take (or renew) the telescope's control lease on a shared station."""
        held = await self.station.acquire(self.telescope)
        until = held.get("expires_at") or held.get("expires") if isinstance(held, dict) else None
        return f"you control {self.telescope}" + (f" until {until}" if until else "")

    async def release_control(self) -> str:
        await self.station.release(self.telescope)
        return f"released {self.telescope}"

    async def refresh(self) -> None:
        results = await asyncio.gather(*(p.refresh() for p in self.parts), return_exceptions=True)
        for p, r in zip(self.parts, results, strict=True):
            if isinstance(r, Exception):
                p.say(f"refresh: {r}", "error")

    async def wait_idle(self) -> None:
        await asyncio.gather(*(p.wait_idle() for p in self.parts))

    def start_auto_refresh(self, interval: float = 2.0) -> asyncio.Task[None]:
        return super().start_auto_refresh(interval)


def control_panel(
    station: Any, instrument: str | None = None, refresh: float | None = 2.0
) -> ControlPanel:
    """Build a :class:`ControlPanel`, read the devices once and keep the readouts live.

    Parameters
    ----------
    refresh
        Seconds between readout refreshes; ``None`` reads once and stops.
    """
    panel = ControlPanel(station, instrument)
    if refresh:
        panel.start_auto_refresh(refresh)
    else:
        asyncio.ensure_future(panel.refresh())
    return panel
