"""INDI filter wheels, focusers and rotators."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

from obshub.devices.indi.base import IndiDevice
from obshub.devices.interfaces.focus import Focuser
from obshub.devices.interfaces.optics import FilterWheel, Rotator
from obshub.errors import InvalidValue, NotImplementedByDevice


class IndiFilterWheel(IndiDevice, FilterWheel):
    """INDI slots count from 1; the interface's from 0."""

    def __init__(
        self,
        *args: Any,
        filters: list[str] | None = None,
        focus_offsets: dict[str, int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self._names = list(filters) if filters else None
        self._offsets = dict(focus_offsets) if focus_offsets else None

    async def names(self) -> list[str]:
        if self._names is not None:
            return self._names
        snap = await self._prop("FILTER_NAME", "names")
        return [str(v) for v in snap.values.values()]

    async def position(self) -> int:
        snap = await self._prop("FILTER_SLOT", "position")
        return -1 if snap.busy else int(round(snap.number("FILTER_SLOT_VALUE"))) - 1

    async def filter(self) -> str | None:
        pos = await self.position()
        names = await self.names()
        return names[pos] if 0 <= pos < len(names) else None

    async def set_filter(self, name_or_slot: str | int) -> None:
        slot = self.slot_of(await self.names(), name_or_slot)
        await self._send(
            "FILTER_SLOT", {"FILTER_SLOT_VALUE": slot + 1}, "position", timeout=self.motion_timeout
        )

    async def focus_offsets(self) -> dict[str, int]:
        names = await self.names()
        offsets = self._offsets or {}
        return {n: int(offsets.get(n, 0)) for n in names}

    async def _status(self) -> dict[str, Any]:
        pos = await self.position()
        names = await self.names()
        return {
            "position": pos,
            "filter": names[pos] if 0 <= pos < len(names) else None,
            "filters": names,
        }


class IndiFocuser(IndiDevice, Focuser):
    async def position(self) -> int:
        return int(
            round(await self._number("ABS_FOCUS_POSITION", "FOCUS_ABSOLUTE_POSITION", "position"))
        )

    async def max_position(self) -> int:
        snap = await self._optional("FOCUS_MAX", "maxstep")
        if snap is not None:
            return int(snap.number("FOCUS_MAX_VALUE"))
        pos = await self._prop("ABS_FOCUS_POSITION", "maxstep")
        return int(pos.limits["FOCUS_ABSOLUTE_POSITION"][1])

    async def move_to(self, position: int, wait: bool = True) -> None:
        top = await self.max_position()
        if not 0 <= position <= top:
            raise InvalidValue(self.name, "move", f"position {position} outside 0..{top}")
        await self._send(
            "ABS_FOCUS_POSITION",
            {"FOCUS_ABSOLUTE_POSITION": int(position)},
            "move",
            timeout=self.motion_timeout if wait else self.timeout,
            ack=not wait,
        )

    async def is_moving(self) -> bool:
        return (await self._prop("ABS_FOCUS_POSITION", "ismoving")).busy

    async def halt(self) -> None:
        if await self._optional("FOCUS_ABORT_MOTION", "halt") is None:
            raise NotImplementedByDevice(self.name, "halt", f"{self.device} cannot abort a move")
        await self._send("FOCUS_ABORT_MOTION", {"ABORT": True}, "halt", idle_first=False, ack=True)

    async def temperature(self) -> u.Quantity | None:
        snap = await self._optional("FOCUS_TEMPERATURE", "temperature")
        return None if snap is None else snap.number("TEMPERATURE") * u.deg_C

    async def _status(self) -> dict[str, Any]:
        pos = await self._prop("ABS_FOCUS_POSITION", "status")
        temp = await self.temperature()
        return {
            "position": int(round(pos.number("FOCUS_ABSOLUTE_POSITION"))),
            "moving": pos.busy,
            "temperature_c": None if temp is None else float(temp.value),
        }


class IndiRotator(IndiDevice, Rotator):
    async def angle(self) -> Angle:
        return Angle(await self._number("ABS_ROTATOR_ANGLE", "ANGLE", "position"), u.deg)

    async def move_to(self, angle: Angle, wait: bool = True) -> None:
        deg = float(Angle(angle).wrap_at(360 * u.deg).deg)

        def there(s: Any) -> bool:
            # The driver may report 360 for 0; compare on the circle.
            d = abs((s.number("ANGLE") - deg + 180) % 360 - 180)
            return d < 0.01

        await self._send(
            "ABS_ROTATOR_ANGLE",
            {"ANGLE": deg},
            "moveabsolute",
            timeout=self.motion_timeout if wait else self.timeout,
            done=there,
            ack=not wait,
        )

    async def is_moving(self) -> bool:
        return (await self._prop("ABS_ROTATOR_ANGLE", "ismoving")).busy

    async def halt(self) -> None:
        await self._send(
            "ROTATOR_ABORT_MOTION", {"ABORT": True}, "halt", idle_first=False, ack=True
        )

    async def _status(self) -> dict[str, Any]:
        snap = await self._prop("ABS_ROTATOR_ANGLE", "status")
        return {"angle_deg": snap.number("ANGLE"), "moving": snap.busy}
