"""INDI domes (and roll-off roofs)."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.props import PropState
from obshub.devices.interfaces.enclosure import Dome, ShutterState

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
