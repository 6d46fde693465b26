"""INDI telescopes as :class:`~obshub.devices.interfaces.Mount`.

INDI mounts speak apparent coordinates of date (``EQUATORIAL_EOD_COORD``, "JNow"): they are
turned into ICRS here through astropy's TETE frame, so callers see ICRS on both backends.
"""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import ICRS, TETE, AltAz, Angle, EarthLocation, SkyCoord
from astropy.time import Time

from obshub.devices.indi.base import IndiDevice
from obshub.devices.indi.props import Snapshot
from obshub.devices.interfaces.mount import GuideDirection, Mount, PierSide
from obshub.errors import InvalidOperation

EOD = "EQUATORIAL_EOD_COORD"
# How close counts as "arrived" when checking a goto's end against its target.
_ARRIVED = 30 * u.arcsec

_GUIDE = {
    GuideDirection.NORTH: ("TELESCOPE_TIMED_GUIDE_NS", "TIMED_GUIDE_N", "TIMED_GUIDE_S"),
    GuideDirection.SOUTH: ("TELESCOPE_TIMED_GUIDE_NS", "TIMED_GUIDE_S", "TIMED_GUIDE_N"),
    GuideDirection.EAST: ("TELESCOPE_TIMED_GUIDE_WE", "TIMED_GUIDE_E", "TIMED_GUIDE_W"),
    GuideDirection.WEST: ("TELESCOPE_TIMED_GUIDE_WE", "TIMED_GUIDE_W", "TIMED_GUIDE_E"),
}


def _apparent(snap: Snapshot) -> SkyCoord:
    return SkyCoord(
        ra=snap.number("RA") * u.hourangle,
        dec=snap.number("DEC") * u.deg,
        frame=TETE(obstime=Time.now()),
    )


def _near(snap: Snapshot, ra_h: float, dec_deg: float) -> bool:
    a = SkyCoord(snap.number("RA") * u.hourangle, snap.number("DEC") * u.deg)
    b = SkyCoord(ra_h * u.hourangle, dec_deg * u.deg)
    return bool(a.separation(b) < _ARRIVED)


class IndiMount(IndiDevice, Mount):
    async def _eod(self, operation: str = "coordinates") -> Snapshot:
        return await self._prop(EOD, operation)

    async def coordinates(self) -> SkyCoord:
        return _apparent(await self._eod()).transform_to(ICRS())

    async def _location(self) -> EarthLocation:
        geo = await self._prop("GEOGRAPHIC_COORD", "altaz")
        lon = geo.number("LONG")
        return EarthLocation.from_geodetic(
            (lon - 360 if lon > 180 else lon) * u.deg,
            geo.number("LAT") * u.deg,
            geo.number("ELEV") * u.m,
        )

    async def altaz(self) -> tuple[Angle, Angle]:
        # The simulator defines no HORIZONTAL_COORD: compute it from where it points and where it is.
        here = _apparent(await self._eod("altaz"))
        aa = here.transform_to(AltAz(obstime=here.obstime, location=await self._location()))
        return Angle(aa.alt), Angle(aa.az)

    async def is_parked(self) -> bool:
        return bool((await self._prop("TELESCOPE_PARK", "atpark")).values.get("PARK"))

    async def park(self) -> None:
        await self._send("TELESCOPE_PARK", {"PARK": True}, "park", timeout=self.motion_timeout)

    async def unpark(self) -> None:
        await self._send("TELESCOPE_PARK", {"UNPARK": True}, "unpark")

    async def is_tracking(self) -> bool:
        return bool((await self._prop("TELESCOPE_TRACK_STATE", "tracking")).values.get("TRACK_ON"))

    async def set_tracking(self, on: bool) -> None:
        if on and await self.is_parked():
            raise InvalidOperation(self.name, "tracking", "the mount is parked")
        # INDI shows tracking as Busy for as long as it lasts: the request is only acknowledged.
        await self._send(
            "TELESCOPE_TRACK_STATE",
            {"TRACK_ON" if on else "TRACK_OFF": True},
            "tracking",
            ack=True,
            idle_first=False,
        )

    async def is_slewing(self) -> bool:
        return (await self._eod("slewing")).busy

    async def _goto(self, target: SkyCoord, mode: str, operation: str, wait: bool) -> None:
        if await self.is_parked():
            raise InvalidOperation(self.name, operation, "the mount is parked")
        c = target.transform_to(TETE(obstime=Time.now()))
        ra, dec = float(c.ra.to_value(u.hourangle)), float(c.dec.deg)
        coord_set = await self._prop("ON_COORD_SET", operation)
        if not coord_set.values.get(mode):
            await self._send("ON_COORD_SET", {mode: True}, operation)
        values = {"RA": ra, "DEC": dec}
        if wait:
            await self._send(
                EOD,
                values,
                operation,
                timeout=self.motion_timeout,
                idle_first=False,
                done=lambda s: _near(s, ra, dec),
            )
            return
        # Return once the driver has taken the goto on (Busy), so is_slewing() is true after.
        before = await self._send(EOD, values, operation, wait=False, idle_first=False)
        await self.conn.wait_for(
            lambda: (
                (s := self.conn.get(self.device, EOD)) is not None
                and s.generation > before.generation
                and (s.busy or _near(s, ra, dec))
            ),
            self.timeout,
            self.name,
            operation,
            "goto acknowledgement",
        )

    async def slew(self, target: SkyCoord, wait: bool = True) -> None:
        await self._goto(target, "TRACK", "slew", wait)

    async def abort_slew(self) -> None:
        await self._send(
            "TELESCOPE_ABORT_MOTION",
            {"ABORT": True},
            "abortslew",
            idle_first=False,
            done=lambda s: True,
        )

    async def offset(self, d_ra: u.Quantity, d_dec: u.Quantity) -> None:
        here = await self.coordinates()
        await self.slew(here.spherical_offsets_by(d_ra, d_dec))

    async def pulse_guide(self, direction: GuideDirection, duration: u.Quantity) -> None:
        prop, element, other = _GUIDE[GuideDirection(direction)]
        ms = float(round(duration.to_value(u.ms)))
        before = await self._send(prop, {element: ms, other: 0.0}, "pulseguide", wait=False)
        # A finished pulse goes back to Idle (not Ok) with the values reset to 0.
        await self.conn.wait_for(
            lambda: (
                (s := self.conn.get(self.device, prop)) is not None
                and s.generation > before.generation
                and not s.busy
            ),
            ms / 1000 + self.timeout,
            self.name,
            "pulseguide",
            f"{prop} pulse to end",
        )

    async def side_of_pier(self) -> PierSide:
        snap = await self._optional("TELESCOPE_PIER_SIDE", "sideofpier")
        if snap is None:
            return PierSide.UNKNOWN
        if snap.values.get("PIER_WEST"):
            return PierSide.WEST
        if snap.values.get("PIER_EAST"):
            return PierSide.EAST
        return PierSide.UNKNOWN

    async def sync(self, target: SkyCoord) -> None:
        try:
            await self._goto(target, "SYNC", "sync", wait=True)
        finally:
            # Leave the next coordinate request a goto, as every client expects.
            await self._send("ON_COORD_SET", {"TRACK": True}, "sync")

    async def _status(self) -> dict[str, Any]:
        eod = await self._eod("status")
        alt, az = await self.altaz()
        c = _apparent(eod).transform_to(ICRS())
        return {
            "ra_deg": round(float(c.ra.deg), 6),
            "dec_deg": round(float(c.dec.deg), 6),
            "alt_deg": round(float(alt.deg), 4),
            "az_deg": round(float(az.deg), 4),
            "tracking": await self.is_tracking(),
            "slewing": eod.busy,
            "parked": await self.is_parked(),
            "side_of_pier": (await self.side_of_pier()).name.lower(),
        }
