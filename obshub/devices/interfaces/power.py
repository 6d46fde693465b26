"""Switches: power outlets, dew heaters and dimmers."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from obshub.devices.interfaces.base import Device


class Switch(Device):
    """A set of switches, each addressed by index or by name."""

    kind: ClassVar[str] = "switch"

    @abstractmethod
    async def names(self) -> list[str]: ...

    @abstractmethod
    async def get(self, switch: int | str) -> float:
        """The switch's value (0/1 for on/off switches)."""

    @abstractmethod
    async def set(self, switch: int | str, value: float | bool) -> None: ...

    async def is_on(self, switch: int | str) -> bool:
        return await self.get(switch) > 0

    async def turn_on(self, switch: int | str) -> None:
        await self.set(switch, True)

    async def turn_off(self, switch: int | str) -> None:
        await self.set(switch, False)
