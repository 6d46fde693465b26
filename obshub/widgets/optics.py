"""Focuser and rotator controls."""

from __future__ import annotations

import asyncio

import astropy.units as u
import ipywidgets as w
from astropy.coordinates import Angle

from obshub.devices.interfaces import Focuser, Rotator
from obshub.widgets.base import Panel, readout


class FocuserControl(Panel):
    """Move a focuser to a position or by steps; halt."""

    title = "focuser"

    def __init__(self, focuser: Focuser):
        super().__init__()
        self.focuser = focuser
        self.goal = w.IntText(description="Position", layout=w.Layout(width="14em"))
        self.steps = w.BoundedIntText(
            value=100, min=1, max=100_000, description="Step", layout=w.Layout(width="12em")
        )
        self.position = readout("Now")
        self.widget = w.VBox(
            [
                w.HTML(f"<b>Focuser</b> <code>{focuser.name}</code>"),
                w.HBox([self.goal, self.button("Move", self.move)]),
                w.HBox(
                    [
                        self.steps,
                        self.button("In", lambda: self.nudge(-1)),
                        self.button("Out", lambda: self.nudge(+1)),
                        self.button("Halt", self.focuser.halt, button_style="danger"),
                    ]
                ),
                self.position,
                self.message,
            ]
        )

    async def move(self) -> str:
        goal = int(self.goal.value)
        top = await self.focuser.max_position()
        if not 0 <= goal <= top:
            raise ValueError(f"focuser position {goal}: outside 0..{top}")
        await self.focuser.move_to(goal)
        return f"at {goal}"

    async def nudge(self, sign: int) -> str:
        now, top = await asyncio.gather(self.focuser.position(), self.focuser.max_position())
        goal = now + sign * int(self.steps.value)
        if not 0 <= goal <= top:
            raise ValueError(f"focuser position {goal}: outside 0..{top}")
        await self.focuser.move_to(goal)
        return f"at {goal}"

    async def refresh(self) -> None:
        pos, moving, temp = await asyncio.gather(
            self.focuser.position(), self.focuser.is_moving(), self.focuser.temperature()
        )
        extra = " (moving)" if moving else ""
        if temp is not None:
            extra += f", {temp.to_value(u.deg_C):.1f} °C"
        self.position.value = f"{pos}{extra}"


class RotatorControl(Panel):
    """Turn a rotator to a sky position angle; halt."""

    title = "rotator"

    def __init__(self, rotator: Rotator):
        super().__init__()
        self.rotator = rotator
        self.goal = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=360.0,
            step=1.0,
            description="Angle °",
            layout=w.Layout(width="14em"),
        )
        self.angle = readout("Now")
        self.widget = w.VBox(
            [
                w.HTML(f"<b>Rotator</b> <code>{rotator.name}</code>"),
                w.HBox(
                    [
                        self.goal,
                        self.button("Rotate", self.move),
                        self.button("Halt", self.rotator.halt, button_style="danger"),
                    ]
                ),
                self.angle,
                self.message,
            ]
        )

    async def move(self) -> str:
        deg = float(self.goal.value)
        if not 0.0 <= deg <= 360.0:
            raise ValueError(f"rotator angle {deg}: outside 0..360 degrees")
        await self.rotator.move_to(Angle(deg, u.deg))
        return f"at {deg:g}°"

    async def refresh(self) -> None:
        angle, moving = await asyncio.gather(self.rotator.angle(), self.rotator.is_moving())
        self.angle.value = f"{angle.deg:.2f}°" + (" (moving)" if moving else "")
