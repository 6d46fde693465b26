"""INDI domes (and roll-off roofs)."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.props import PropState
from obshub.devices.interfaces.enclosure import Cover, CoverState, Dome, ShutterState
from obshub.errors import NotImplementedByDevice

AZ = "ABS_DOME_POSITION"


class IndiDome(IndiDevice, Dome):
    async def shutter(self) -> ShutterState:
        snap = await self._prop("DOME_SHUTTER", "shutterstatus")
        opening = bool(snap.values.get("SHUTTER_OPEN"))
        if snap.state is PropState.ALERT:
            return ShutterState.ERROR
        if snap.busy:
            return ShutterState.OPENING if opening else ShutterState.CLOSING
        return ShutterState.OPEN if opening else ShutterState.CLOSED

    async def _leave_park(self, operation: str) -> None:
        # An INDI dome refuses every motion while parked; an ASCOM one leaves park when told
        # to move. Unpark first so both behave as ASCOM says.
        park = await self._optional("DOME_PARK", operation)
        if park is not None and park.values.get("PARK"):
            await self._send("DOME_PARK", {"UNPARK": True}, operation, timeout=self.motion_timeout)

    async def _shutter(self, element: str, operation: str, wait: bool) -> None:
        await self._leave_park(operation)
        await self._send(
            "DOME_SHUTTER",
            {element: True},
            operation,
            timeout=self.motion_timeout if wait else self.timeout,
            ack=not wait,
        )

    async def open(self, wait: bool = True) -> None:
        await self._shutter("SHUTTER_OPEN", "openshutter", wait)

    async def close(self, wait: bool = True) -> None:
        await self._shutter("SHUTTER_CLOSE", "closeshutter", wait)

    async def azimuth(self) -> Angle | None:
        snap = await self._optional(AZ, "azimuth")
        return None if snap is None else Angle(snap.number("DOME_ABSOLUTE_POSITION"), u.deg)

    async def slew_to_azimuth(self, azimuth: Angle, wait: bool = True) -> None:
        deg = float(Angle(azimuth).wrap_at(360 * u.deg).deg)

        def there(s: Any) -> bool:
            return abs((s.number("DOME_ABSOLUTE_POSITION") - deg + 180) % 360 - 180) < 0.5

        await self._leave_park("slewtoazimuth")
        await self._send(
            AZ,
            {"DOME_ABSOLUTE_POSITION": deg},
            "slewtoazimuth",
            timeout=self.motion_timeout if wait else self.timeout,
            done=there,
            ack=not wait,
        )

    async def park(self) -> None:
        await self._send("DOME_PARK", {"PARK": True}, "park", timeout=self.motion_timeout)

    async def is_slewing(self) -> bool:
        snap = await self._optional(AZ, "slewing")
        return bool(snap is not None and snap.busy)

    async def _status(self) -> dict[str, Any]:
        az = await self._optional(AZ)
        park = await self._optional("DOME_PARK")
        return {
            "shutter": (await self.shutter()).name.lower(),
            "azimuth_deg": None if az is None else az.number("DOME_ABSOLUTE_POSITION"),
            "slewing": bool(az is not None and az.busy),
            "parked": None if park is None else bool(park.values.get("PARK")),
        }


class IndiCover(IndiDevice, Cover):
    """An INDI dust cap (``CAP_PARK``) and/or flat light panel (``FLAT_LIGHT_*``).

    A light panel without a motorised cap (like INDI's light panel simulator) is a cover whose
    state is ``NOT_PRESENT``, as in ASCOM.
    """

    async def cover_state(self) -> CoverState:
        cap = await self._optional("CAP_PARK", "coverstate")
        if cap is None:
            return CoverState.NOT_PRESENT
        if cap.state is PropState.ALERT:
            return CoverState.ERROR
        if cap.busy:
            return CoverState.MOVING
        if cap.values.get("PARK"):
            return CoverState.CLOSED
        return CoverState.OPEN if cap.values.get("UNPARK") else CoverState.UNKNOWN

    async def _cap(self, element: str, operation: str, wait: bool) -> None:
        if await self._optional("CAP_PARK", operation) is None:
            raise NotImplementedByDevice(
                self.name, operation, f"{self.device} has no cover (CAP_PARK)"
            )
        await self._send(
            "CAP_PARK",
            {element: True},
            operation,
            timeout=self.motion_timeout if wait else self.timeout,
            ack=not wait,
        )

    async def open_cover(self, wait: bool = True) -> None:
        await self._cap("UNPARK", "opencover", wait)

    async def close_cover(self, wait: bool = True) -> None:
        await self._cap("PARK", "closecover", wait)

    async def set_calibrator(self, brightness: int | None) -> None:
        if not brightness:
            await self._send("FLAT_LIGHT_CONTROL", {"FLAT_LIGHT_OFF": True}, "calibratoroff")
            return
        await self._send(
            "FLAT_LIGHT_INTENSITY", {"FLAT_LIGHT_INTENSITY_VALUE": int(brightness)}, "calibratoron"
        )
        await self._send("FLAT_LIGHT_CONTROL", {"FLAT_LIGHT_ON": True}, "calibratoron")

    async def _status(self) -> dict[str, Any]:
        light = await self._optional("FLAT_LIGHT_CONTROL")
        level = await self._optional("FLAT_LIGHT_INTENSITY")
        on = light is not None and bool(light.values.get("FLAT_LIGHT_ON"))
        return {
            "cover": (await self.cover_state()).name.lower(),
            "brightness": (level.number("FLAT_LIGHT_INTENSITY_VALUE") if level and on else 0),
        }
