"""Alpaca filter wheels, focusers and rotators."""

from __future__ import annotations

from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.interfaces.focus import Focuser
from obshub.devices.interfaces.optics import FilterWheel, Rotator
from obshub.errors import InvalidValue


class AlpacaFilterWheel(AlpacaDevice, FilterWheel):
    alpaca_type = "filterwheel"

    def __init__(
        self,
        *args: Any,
        filters: list[str] | None = None,
        focus_offsets: dict[str, int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self._names = list(filters) if filters else None
        self._offsets = dict(focus_offsets) if focus_offsets else None

    async def names(self) -> list[str]:
        if self._names is None:
            self._names = [str(n) for n in await self._get("names")]
        return self._names

    async def position(self) -> int:
        return int(await self._get("position"))

    async def filter(self) -> str | None:
        pos = await self.position()
        names = await self.names()
        return names[pos] if 0 <= pos < len(names) else None

    async def set_filter(self, name_or_slot: str | int) -> None:
        slot = self.slot_of(await self.names(), name_or_slot)
        await self._put("position", Position=slot)

        async def there() -> bool:
            return await self.position() == slot

        await self._wait_until("position", there)

    async def focus_offsets(self) -> dict[str, int]:
        names = await self.names()
        if self._offsets is not None:
            return {n: int(self._offsets.get(n, 0)) for n in names}
        raw = await self._optional("focusoffsets", []) or []
        return {n: int(raw[i]) if i < len(raw) else 0 for i, n in enumerate(names)}

    async def _status(self) -> dict[str, Any]:
        pos = await self.position()
        names = await self.names()
        return {
            "position": pos,
            "filter": names[pos] if 0 <= pos < len(names) else None,
            "filters": names,
        }


class AlpacaFocuser(AlpacaDevice, Focuser):
    alpaca_type = "focuser"

    async def position(self) -> int:
        return int(await self._get("position"))

    async def move_to(self, position: int, wait: bool = True) -> None:
        top = await self.max_position()
        if not 0 <= position <= top:
            raise InvalidValue(self.name, "move", f"position {position} outside 0..{top}")
        await self._put("move", Position=int(position))
        if wait:
            await self._wait_until("move", self._stopped)

    async def _stopped(self) -> bool:
        return not await self.is_moving()

    async def is_moving(self) -> bool:
        return bool(await self._get("ismoving"))

    async def halt(self) -> None:
        await self._put("halt")

    async def max_position(self) -> int:
        return int(await self._get("maxstep"))

    async def temperature(self) -> u.Quantity | None:
        t = await self._optional("temperature")
        return None if t is None else float(t) * u.deg_C

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(
            position=self._get("position"),
            moving=self._get("ismoving"),
            temp=self._optional("temperature"),
        )
        return {
            "position": int(r["position"]),
            "moving": bool(r["moving"]),
            "temperature_c": r["temp"],
        }


class AlpacaRotator(AlpacaDevice, Rotator):
    alpaca_type = "rotator"

    async def angle(self) -> Angle:
        return Angle(float(await self._get("position")), u.deg)

    async def move_to(self, angle: Angle, wait: bool = True) -> None:
        deg = float(Angle(angle).wrap_at(360 * u.deg).deg)
        await self._put("moveabsolute", Position=deg)
        if wait:
            await self._wait_until("moveabsolute", self._stopped)

    async def _stopped(self) -> bool:
        return not await self.is_moving()

    async def is_moving(self) -> bool:
        return bool(await self._get("ismoving"))

    async def halt(self) -> None:
        await self._put("halt")

    async def _status(self) -> dict[str, Any]:
        r = await self._gather(position=self._get("position"), moving=self._get("ismoving"))
        return {"angle_deg": float(r["position"]), "moving": bool(r["moving"])}
