"""Mounts: pointing, tracking, parking, offsets and guiding."""

from __future__ import annotations

import enum
from abc import abstractmethod
from typing import ClassVar

import astropy.units as u
from astropy.coordinates import Angle, SkyCoord

from obshub.devices.interfaces.base import Device


class PierSide(enum.IntEnum):
    """Which side of the pier a German equatorial mount's tube is on (ASCOM values)."""

    UNKNOWN = -1
    EAST = 0
    WEST = 1


class GuideDirection(enum.IntEnum):
    """Pulse-guide directions (ASCOM values)."""

    NORTH = 0
    SOUTH = 1
    EAST = 2
    WEST = 3


class PulseGuider(Device):
    """Something that can nudge the pointing by timed pulses (a mount, some cameras)."""

    @abstractmethod
    async def pulse_guide(self, direction: GuideDirection, duration: u.Quantity) -> None:
        """Send one guide pulse and return when it is done."""


class Mount(PulseGuider):
    """A telescope mount."""

    kind: ClassVar[str] = "mount"

    @abstractmethod
    async def coordinates(self) -> SkyCoord:
        """Where the mount points, in ICRS."""

    @abstractmethod
    async def altaz(self) -> tuple[Angle, Angle]:
        """Altitude and azimuth the mount reports."""

    @abstractmethod
    async def is_parked(self) -> bool: ...

    @abstractmethod
    async def park(self) -> None:
        """Park and return once parked."""

    @abstractmethod
    async def unpark(self) -> None: ...

    @abstractmethod
    async def is_tracking(self) -> bool: ...

    @abstractmethod
    async def set_tracking(self, on: bool) -> None: ...

    @abstractmethod
    async def slew(self, target: SkyCoord, wait: bool = True) -> None:
        """Slew to ``target`` (any frame astropy can turn into ICRS) and, by default, wait."""

    @abstractmethod
    async def is_slewing(self) -> bool: ...

    @abstractmethod
    async def abort_slew(self) -> None: ...

    @abstractmethod
    async def offset(self, d_ra: u.Quantity, d_dec: u.Quantity) -> None:
        """Move by a small on-sky offset (a dither): ``d_ra`` is measured on the sky."""

    @abstractmethod
    async def side_of_pier(self) -> PierSide: ...

    async def set_side_of_pier(self, side: PierSide) -> None:
        """Move the tube to ``side`` (ASCOM: a meridian flip on mounts that support it)."""
        from obshub.errors import NotImplementedByDevice

        raise NotImplementedByDevice(self.name, "sideofpier", "cannot set the side of pier")

    @abstractmethod
    async def sync(self, target: SkyCoord) -> None:
        """Tell the mount that it is pointing at ``target`` (after plate solving, say)."""
