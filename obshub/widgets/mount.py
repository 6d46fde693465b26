"""The mount pad: slew to a name or coordinates, park, track, jog."""

from __future__ import annotations

import asyncio

import astropy.units as u
import ipywidgets as w

from obshub.devices.interfaces import Mount
from obshub.widgets.base import Panel, readout
from obshub.widgets.targets import resolve_target

JOG_STEPS_ARCMIN = (0.5, 1.0, 5.0, 15.0, 60.0)


class MountPad(Panel):
    """Controls for one mount.

    Parameters
    ----------
    mount
        Any :class:`~obshub.devices.interfaces.Mount` (local or remote).
    """

    title = "mount"

    def __init__(self, mount: Mount):
        super().__init__()
        self.mount = mount
        self.target = w.Text(
            description="Target",
            placeholder="M31, or 00:42:44 +41:16:09, or 10.68 41.27",
            layout=w.Layout(width="28em"),
        )
        self.step = w.Dropdown(
            options=[(f"{s:g}′", s) for s in JOG_STEPS_ARCMIN],
            value=5.0,
            description="Jog step",
            layout=w.Layout(width="12em"),
        )
        self.position = readout("Pointing")
        self.altaz = readout("Alt / Az")
        self.state = readout("State")
        jog = {
            d: self.button(d, lambda d=d: self.jog(d), layout=w.Layout(width="3.5em"))
            for d in "NSEW"
        }
        blank = w.Label(layout=w.Layout(width="3.5em"))
        pad = w.GridBox(
            [
                blank,
                jog["N"],
                blank,
                jog["E"],
                w.Label(layout=w.Layout(width="3.5em")),
                jog["W"],
                blank,
                jog["S"],
                blank,
            ],
            layout=w.Layout(grid_template_columns="repeat(3, 4em)"),
        )
        self.widget = w.VBox(
            [
                w.HTML(f"<b>Mount</b> <code>{mount.name}</code>"),
                w.HBox([self.target, self.button("Slew", self.slew, button_style="primary")]),
                w.HBox(
                    [
                        self.button("Track on", lambda: self.set_tracking(True)),
                        self.button("Track off", lambda: self.set_tracking(False)),
                        self.button("Park", self.park, button_style="warning"),
                        self.button("Unpark", self.unpark),
                        self.button("Stop", self.stop, button_style="danger"),
                    ]
                ),
                w.HBox([pad, self.step]),
                self.position,
                self.altaz,
                self.state,
                self.message,
            ]
        )

    async def slew(self) -> str:
        """Slew to what the target box says (a name or coordinates)."""
        coord = resolve_target(self.target.value)
        if await self.mount.is_parked():
            raise ValueError("mount is parked: unpark it first")
        await self.mount.slew(coord)
        return f"on {self.target.value.strip()} ({coord.to_string('hmsdms', precision=0)})"

    async def park(self) -> None:
        await self.mount.park()

    async def unpark(self) -> None:
        await self.mount.unpark()

    async def stop(self) -> None:
        await self.mount.abort_slew()

    async def set_tracking(self, on: bool) -> str:
        await self.mount.set_tracking(on)
        return "tracking" if on else "not tracking"

    async def jog(self, direction: str) -> str:
        """Offset by the jog step towards N, S, E or W (on the sky)."""
        if direction not in ("N", "S", "E", "W"):
            raise ValueError(f"jog direction {direction!r}: use N, S, E or W")
        step = float(self.step.value) * u.arcmin
        zero = 0 * u.arcmin
        d_ra, d_dec = {
            "N": (zero, step),
            "S": (zero, -step),
            "E": (step, zero),
            "W": (-step, zero),
        }[direction]
        await self.mount.offset(d_ra, d_dec)
        return f"{direction} {self.step.value:g}′"

    async def refresh(self) -> None:
        coord, (alt, az), tracking, parked, slewing = await asyncio.gather(
            self.mount.coordinates(),
            self.mount.altaz(),
            self.mount.is_tracking(),
            self.mount.is_parked(),
            self.mount.is_slewing(),
        )
        self.position.value = coord.to_string("hmsdms", precision=1)
        self.altaz.value = f"{alt.deg:.2f}° / {az.deg:.2f}°"
        words = ["parked" if parked else "unparked", "tracking" if tracking else "not tracking"]
        if slewing:
            words.append("slewing")
        self.state.value = ", ".join(words)
