"""What sits in the light path: filter wheels and rotators."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from astropy.coordinates import Angle

from obshub.devices.interfaces.base import Device


class FilterWheel(Device):
    """A filter wheel whose slots have names."""

    kind: ClassVar[str] = "filterwheel"

    @abstractmethod
    async def names(self) -> list[str]:
        """Filter names by slot, as the device or the station file names them."""

    @abstractmethod
    async def position(self) -> int:
        """The current slot (-1 while moving)."""

    @abstractmethod
    async def filter(self) -> str | None:
        """The current filter's name, ``None`` while moving."""

    @abstractmethod
    async def set_filter(self, name_or_slot: str | int) -> None:
        """Move to a filter by name or slot and return once there."""

    @abstractmethod
    async def focus_offsets(self) -> dict[str, int]:
        """Focuser offset in steps for each filter."""

    def slot_of(self, names: list[str], name_or_slot: str | int) -> int:
        """The slot for a filter name or slot number, refused clearly when there is none.

        Raises
        ------
        InvalidValue
            Naming the filters or the number of slots the wheel has.
        """
        from obshub.errors import InvalidValue

        if isinstance(name_or_slot, str):
            if name_or_slot not in names:
                raise InvalidValue(
                    self.name, "position", f"no filter {name_or_slot!r} (has {names})"
                )
            return names.index(name_or_slot)
        slot = int(name_or_slot)
        if not 0 <= slot < len(names):
            raise InvalidValue(self.name, "position", f"no slot {slot} (has {len(names)})")
        return slot


class Rotator(Device):
    """A field rotator."""

    kind: ClassVar[str] = "rotator"

    @abstractmethod
    async def angle(self) -> Angle:
        """The sky position angle."""

    @abstractmethod
    async def move_to(self, angle: Angle, wait: bool = True) -> None: ...

    @abstractmethod
    async def is_moving(self) -> bool: ...

    @abstractmethod
    async def halt(self) -> None: ...
