"""What shelters the telescope: domes and roofs, and telescope covers."""

from __future__ import annotations

import enum
from abc import abstractmethod
from typing import ClassVar

from astropy.coordinates import Angle

from obshub.devices.interfaces.base import Device


class ShutterState(enum.IntEnum):
    """ASCOM shutter states (also a roll-off roof's)."""

    OPEN = 0
    CLOSED = 1
    OPENING = 2
    CLOSING = 3
    ERROR = 4


class CoverState(enum.IntEnum):
    """ASCOM cover states."""

    NOT_PRESENT = 0
    CLOSED = 1
    MOVING = 2
    OPEN = 3
    UNKNOWN = 4
    ERROR = 5


class Dome(Device):
    """A dome or a roll-off roof (a roof is a dome with a shutter and no azimuth)."""

    kind: ClassVar[str] = "dome"

    @abstractmethod
    async def shutter(self) -> ShutterState: ...

    @abstractmethod
    async def open(self, wait: bool = True) -> None: ...

    @abstractmethod
    async def close(self, wait: bool = True) -> None:
        """Close the shutter or roof (not to be confused with releasing connections)."""

    @abstractmethod
    async def azimuth(self) -> Angle | None:
        """The slit's azimuth; ``None`` for a roof."""

    @abstractmethod
    async def slew_to_azimuth(self, azimuth: Angle, wait: bool = True) -> None: ...

    @abstractmethod
    async def park(self) -> None: ...

    @abstractmethod
    async def is_slewing(self) -> bool: ...


class Cover(Device):
    """A motorised telescope cover (with or without a flat-field panel)."""

    kind: ClassVar[str] = "cover"

    @abstractmethod
    async def cover_state(self) -> CoverState: ...

    @abstractmethod
    async def open_cover(self, wait: bool = True) -> None: ...

    @abstractmethod
    async def close_cover(self, wait: bool = True) -> None: ...

    @abstractmethod
    async def set_calibrator(self, brightness: int | None) -> None:
        """Light the flat panel at ``brightness``; ``None`` or 0 switches it off."""
