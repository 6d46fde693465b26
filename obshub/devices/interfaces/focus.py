"""Focusers."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import astropy.units as u

from obshub.devices.interfaces.base import Device


class Focuser(Device):
    """An absolute focuser, positions in steps."""

    kind: ClassVar[str] = "focuser"

    @abstractmethod
    async def position(self) -> int: ...

    @abstractmethod
    async def move_to(self, position: int, wait: bool = True) -> None: ...

    async def move_by(self, steps: int, wait: bool = True) -> None:
        """Move relative to the current position."""
        await self.move_to(await self.position() + steps, wait=wait)

    @abstractmethod
    async def is_moving(self) -> bool: ...

    @abstractmethod
    async def halt(self) -> None: ...

    @abstractmethod
    async def max_position(self) -> int: ...

    @abstractmethod
    async def temperature(self) -> u.Quantity | None:
        """The focuser's temperature probe, ``None`` without one."""
