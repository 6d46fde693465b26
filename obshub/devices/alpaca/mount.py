"""Alpaca telescopes as :class:`~obshub.devices.interfaces.Mount`."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import ICRS, TETE, Angle, SkyCoord
from astropy.time import Time

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.interfaces.mount import GuideDirection, Mount, PierSide

# ASCOM EquatorialCoordinateType: 1 is topocentric ("JNow"); 2 is J2000. The simulator
# reports 0 ("other") for J2000, so only 1 is treated as apparent coordinates.
_TOPOCENTRIC = 1


class AlpacaMount(AlpacaDevice, Mount):
    alpaca_type = "telescope"

    _eq_system: int | None = None

    async def _equatorial_system(self) -> int:
        if self._eq_system is None:
            self._eq_system = int(await self._optional("equatorialsystem", 2) or 0)
        return self._eq_system

    async def _to_icrs(self, ra_hours: float, dec_deg: float) -> SkyCoord:
        if await self._equatorial_system() == _TOPOCENTRIC:
            return SkyCoord(
                ra=ra_hours * u.hourangle, dec=dec_deg * u.deg, frame=TETE(obstime=Time.now())
            ).icrs
        return SkyCoord(ra=ra_hours * u.hourangle, dec=dec_deg * u.deg, frame=ICRS())

    async def _from_icrs(self, target: SkyCoord) -> tuple[float, float]:
        if await self._equatorial_system() == _TOPOCENTRIC:
            c = target.transform_to(TETE(obstime=Time.now()))
        else:
            c = target.transform_to(ICRS())
        return float(c.ra.to_value(u.hourangle)), float(c.dec.to_value(u.deg))

    async def coordinates(self) -> SkyCoord:
        r = await self._gather(ra=self._get("rightascension"), dec=self._get("declination"))
        return await self._to_icrs(float(r["ra"]), float(r["dec"]))

    async def altaz(self) -> tuple[Angle, Angle]:
        r = await self._gather(alt=self._get("altitude"), az=self._get("azimuth"))
        return Angle(float(r["alt"]), u.deg), Angle(float(r["az"]), u.deg)

    async def is_parked(self) -> bool:
        return bool(await self._get("atpark"))

    async def park(self) -> None:
        await self._put("park")
        await self._wait_until("park", self.is_parked)

    async def unpark(self) -> None:
        await self._put("unpark")

    async def is_tracking(self) -> bool:
        return bool(await self._get("tracking"))

    async def set_tracking(self, on: bool) -> None:
        await self._put("tracking", Tracking=bool(on))

    async def is_slewing(self) -> bool:
        return bool(await self._get("slewing"))

    async def slew(self, target: SkyCoord, wait: bool = True) -> None:
        ra, dec = await self._from_icrs(target)
        # ASCOM refuses an equatorial slew while not tracking.
        if not await self.is_tracking():
            await self.set_tracking(True)
        await self._put("slewtocoordinatesasync", RightAscension=ra, Declination=dec)
        if wait:
            await self._wait_until("slew", self._slew_done)

    async def _slew_done(self) -> bool:
        return not await self.is_slewing()

    async def abort_slew(self) -> None:
        await self._put("abortslew")

    async def offset(self, d_ra: u.Quantity, d_dec: u.Quantity) -> None:
        here = await self.coordinates()
        await self.slew(here.spherical_offsets_by(d_ra, d_dec))

    async def pulse_guide(self, direction: GuideDirection, duration: u.Quantity) -> None:
        ms = int(round(duration.to_value(u.ms)))
        await self._put("pulseguide", Direction=int(direction), Duration=ms)
        await self._wait_until("pulseguide", self._pulse_done, timeout=ms / 1000 + self.timeout)

    async def _pulse_done(self) -> bool:
        return not bool(await self._get("ispulseguiding"))

    async def side_of_pier(self) -> PierSide:
        value = await self._optional("sideofpier", -1)
        return PierSide(int(value)) if value in (-1, 0, 1) else PierSide.UNKNOWN

    async def set_side_of_pier(self, side: PierSide) -> None:
        await self._put("sideofpier", SideOfPier=int(side))
        await self._wait_until("sideofpier", self._slew_done)

    async def sync(self, target: SkyCoord) -> None:
        ra, dec = await self._from_icrs(target)
        await self._put("synctocoordinates", RightAscension=ra, Declination=dec)

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(
            ra=self._get("rightascension"),
            dec=self._get("declination"),
            alt=self._get("altitude"),
            az=self._get("azimuth"),
            tracking=self._get("tracking"),
            slewing=self._get("slewing"),
            parked=self._get("atpark"),
            pier=self._optional("sideofpier", -1),
        )
        c = await self._to_icrs(float(r["ra"]), float(r["dec"]))
        return {
            "ra_deg": round(float(c.ra.deg), 6),
            "dec_deg": round(float(c.dec.deg), 6),
            "alt_deg": round(float(r["alt"]), 4),
            "az_deg": round(float(r["az"]), 4),
            "tracking": bool(r["tracking"]),
            "slewing": bool(r["slewing"]),
            "parked": bool(r["parked"]),
            "side_of_pier": PierSide(int(r["pier"])).name.lower()
            if r["pier"] in (-1, 0, 1)
            else "unknown",
        }
