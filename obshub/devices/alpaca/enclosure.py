"""Alpaca domes (and roll-off roofs) and cover calibrators."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.interfaces.enclosure import Cover, CoverState, Dome, ShutterState


class AlpacaDome(AlpacaDevice, Dome):
    alpaca_type = "dome"

    async def shutter(self) -> ShutterState:
        return ShutterState(int(await self._get("shutterstatus")))

    async def open(self, wait: bool = True) -> None:
        await self._put("openshutter")
        if wait:
            await self._wait_for_shutter(ShutterState.OPEN)

    async def close(self, wait: bool = True) -> None:
        await self._put("closeshutter")
        if wait:
            await self._wait_for_shutter(ShutterState.CLOSED)

    async def _wait_for_shutter(self, target: ShutterState) -> None:
        async def there() -> bool:
            state = await self.shutter()
            if state is ShutterState.ERROR:
                from obshub.errors import DeviceError

                raise DeviceError(self.name, "shutter", "shutter reports an error")
            return state is target

        await self._wait_until(f"shutter {target.name.lower()}", there)

    async def azimuth(self) -> Angle | None:
        az = await self._optional("azimuth")
        return None if az is None else Angle(float(az), u.deg)

    async def slew_to_azimuth(self, azimuth: Angle, wait: bool = True) -> None:
        await self._put("slewtoazimuth", Azimuth=float(Angle(azimuth).wrap_at(360 * u.deg).deg))
        if wait:
            await self._wait_until("slewtoazimuth", self._stopped)

    async def _stopped(self) -> bool:
        return not await self.is_slewing()

    async def park(self) -> None:
        await self._put("park")
        await self._wait_until("park", self._at_park)

    async def _at_park(self) -> bool:
        return bool(await self._get("atpark"))

    async def is_slewing(self) -> bool:
        return bool(await self._get("slewing"))

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(
            shutter=self._get("shutterstatus"),
            azimuth=self._optional("azimuth"),
            slewing=self._get("slewing"),
            parked=self._optional("atpark"),
        )
        return {
            "shutter": ShutterState(int(r["shutter"])).name.lower(),
            "azimuth_deg": r["azimuth"],
            "slewing": bool(r["slewing"]),
            "parked": r["parked"],
        }


class AlpacaCover(AlpacaDevice, Cover):
    alpaca_type = "covercalibrator"

    async def cover_state(self) -> CoverState:
        return CoverState(int(await self._get("coverstate")))

    async def open_cover(self, wait: bool = True) -> None:
        await self._put("opencover")
        if wait:
            await self._wait_for(CoverState.OPEN)

    async def close_cover(self, wait: bool = True) -> None:
        await self._put("closecover")
        if wait:
            await self._wait_for(CoverState.CLOSED)

    async def _wait_for(self, target: CoverState) -> None:
        async def there() -> bool:
            return await self.cover_state() is target

        await self._wait_until(f"cover {target.name.lower()}", there)

    async def set_calibrator(self, brightness: int | None) -> None:
        if not brightness:
            await self._put("calibratoroff")
        else:
            await self._put("calibratoron", Brightness=int(brightness))

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(
            cover=self._get("coverstate"), brightness=self._optional("brightness")
        )
        return {"cover": CoverState(int(r["cover"])).name.lower(), "brightness": r["brightness"]}
