"""The camera panel: expose with filter and binning, cooling, a live stretched view."""

from __future__ import annotations

import asyncio
from typing import Any

import astropy.units as u
import ipywidgets as w
import numpy as np

from obshub.devices.interfaces import Camera, FilterWheel
from obshub.devices.interfaces.camera import Image
from obshub.errors import NotImplementedByDevice
from obshub.widgets.base import Panel, readout
from obshub.widgets.image import STRETCHES, frame_png

MAX_EXPOSURE_S = 3600.0
FRAME_TYPES = {"light": True, "dark": False}


class CameraPanel(Panel):
    """Controls for one camera and, optionally, its filter wheel.

    Parameters
    ----------
    camera
        Any :class:`~obshub.devices.interfaces.Camera`.
    filter_wheel
        The wheel in front of it, if any.
    view_size
        Longest side of the live view in screen pixels.

    Attributes
    ----------
    last_image
        The last frame taken from the panel (an :class:`~obshub.devices.interfaces.Image`).
    """

    title = "camera"

    def __init__(
        self, camera: Camera, filter_wheel: FilterWheel | None = None, view_size: int = 512
    ):
        super().__init__()
        self.camera = camera
        self.filter_wheel = filter_wheel
        self.view_size = view_size
        self.last_image: Image | None = None
        self.frames = 0
        self.duration = w.BoundedFloatText(
            value=1.0,
            min=0.0,
            max=MAX_EXPOSURE_S,
            step=0.5,
            description="Seconds",
            layout=w.Layout(width="12em"),
        )
        self.frame_type = w.Dropdown(
            options=list(FRAME_TYPES),
            value="light",
            description="Type",
            layout=w.Layout(width="12em"),
        )
        self.binning = w.Dropdown(
            options=[("1×1", 1), ("2×2", 2), ("3×3", 3), ("4×4", 4)],
            value=1,
            description="Binning",
            layout=w.Layout(width="12em"),
        )
        self.filter = w.Dropdown(
            options=[],
            description="Filter",
            layout=w.Layout(width="12em"),
            disabled=filter_wheel is None,
        )
        self.loop = w.Checkbox(
            value=False, description="Loop", indent=False, layout=w.Layout(width="6em")
        )
        self.cooler = w.Checkbox(
            value=False, description="Cooler on", indent=False, layout=w.Layout(width="8em")
        )
        self.setpoint = w.BoundedFloatText(
            value=-10.0,
            min=-60.0,
            max=30.0,
            step=1.0,
            description="Target °C",
            layout=w.Layout(width="12em"),
        )
        self.stretch = w.Dropdown(
            options=list(STRETCHES),
            value="asinh",
            description="Stretch",
            layout=w.Layout(width="12em"),
        )
        self.stretch.observe(lambda _c: self.redraw(), names="value")
        self.view = w.Image(
            format="png", layout=w.Layout(max_width=f"{view_size}px", min_height="64px")
        )
        self.stats = w.HTML()
        self.state = readout("State")
        self.temperature = readout("Sensor")
        self.filter_now = readout("Filter now")
        self.widget = w.VBox(
            [
                w.HTML(f"<b>Camera</b> <code>{camera.name}</code>"),
                w.HBox([self.duration, self.frame_type, self.binning, self.filter]),
                w.HBox(
                    [
                        self.button("Expose", self.expose, button_style="primary"),
                        self.loop,
                        self.button("Abort", self.abort, button_style="danger"),
                        self.button("Set filter", self.set_filter),
                    ]
                ),
                w.HBox(
                    [self.cooler, self.setpoint, self.button("Apply cooling", self.apply_cooling)]
                ),
                w.HBox([self.state, self.temperature, self.filter_now]),
                w.HBox([self.stretch, self.stats]),
                self.view,
                self.message,
            ]
        )

    # -- actions -----------------------------------------------------------------------------
    def _seconds(self) -> float:
        s = float(self.duration.value)
        if not 0.0 <= s <= MAX_EXPOSURE_S:
            raise ValueError(f"exposure time {s} s: outside 0..{MAX_EXPOSURE_S:g} s")
        return s

    async def set_filter(self) -> str:
        if self.filter_wheel is None:
            raise ValueError(f"{self.camera.name}: no filter wheel")
        name = self.filter.value
        if not name:
            raise ValueError("filter: none selected")
        await self.filter_wheel.set_filter(name)
        return f"filter {name}"

    async def expose(self) -> str:
        """Take one frame (or keep taking them while Loop is ticked) and show it."""
        seconds = self._seconds()
        light = FRAME_TYPES[self.frame_type.value]
        b = int(self.binning.value)
        if self.filter_wheel is not None and self.filter.value:
            if await self.filter_wheel.filter() != self.filter.value:
                await self.filter_wheel.set_filter(self.filter.value)
        while True:
            image = await self.camera.expose(seconds * u.s, light=light, binning=(b, b))
            self.show(image)
            if not self.loop.value:
                break
            await self.refresh()
        return f"frame {self.frames}: {image.data.shape[1]}×{image.data.shape[0]}"

    async def abort(self) -> None:
        self.loop.value = False
        await self.camera.abort()

    async def apply_cooling(self) -> str:
        on = bool(self.cooler.value)
        target = float(self.setpoint.value)
        if not -60.0 <= target <= 30.0:
            raise ValueError(f"cooler target {target} °C: outside -60..30 °C")
        await self.camera.set_cooling(on, target * u.deg_C if on else None)
        return f"cooler {'on, target ' + format(target, 'g') + ' °C' if on else 'off'}"

    # -- view --------------------------------------------------------------------------------
    def show(self, image: Image) -> None:
        """Show a frame in the live view (and keep it as :attr:`last_image`)."""
        self.last_image = image
        self.frames += 1
        self.redraw()

    def redraw(self) -> None:
        if self.last_image is None:
            return
        data = np.asarray(self.last_image.data)
        self.view.value = frame_png(data, self.stretch.value, self.view_size)
        med = float(np.median(data))
        self.stats.value = (
            f"{data.shape[1]}×{data.shape[0]} px, median {med:.0f}, "
            f"max {float(np.max(data)):.0f}, {self.last_image.duration.to_value(u.s):g} s"
        )

    async def refresh(self) -> None:
        reads: dict[str, Any] = {
            "state": self.camera.state(),
            "temp": _optional(self.camera.temperature()),
        }
        if self.filter_wheel is not None:
            reads["filter"] = self.filter_wheel.filter()
            if not self.filter.options:
                reads["names"] = self.filter_wheel.names()
        r = dict(zip(reads, await asyncio.gather(*reads.values()), strict=True))
        self.state.value = r["state"].name.lower()
        temp = r["temp"]
        self.temperature.value = "–" if temp is None else f"{temp.to_value(u.deg_C):.1f} °C"
        if "names" in r:
            self.filter.options = list(r["names"])
            self.filter.value = r["filter"] if r["filter"] in r["names"] else r["names"][0]
        if self.filter_wheel is not None:
            self.filter_now.value = r["filter"] or "moving"


async def _optional(coro: Any) -> Any:
    # A camera without a temperature sensor is not an error for the panel.
    try:
        return await coro
    except NotImplementedByDevice:
        return None
