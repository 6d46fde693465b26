"""Alpaca switches, observing conditions and safety monitors."""

from __future__ import annotations

import asyncio
from typing import Any

import astropy.units as u

from obshub.devices.alpaca.base import AlpacaDevice
from obshub.devices.interfaces.power import Switch
from obshub.devices.interfaces.weather import ObservingConditions, SafetyMonitor
from obshub.errors import InvalidValue, NotImplementedByDevice

_CONDITION_UNITS: dict[str, u.UnitBase] = {
    "cloudcover": u.percent,
    "dewpoint": u.deg_C,
    "humidity": u.percent,
    "pressure": u.hPa,
    "rainrate": u.mm / u.hour,
    "skybrightness": u.lx,
    "skyquality": u.dimensionless_unscaled,
    "skytemperature": u.deg_C,
    "starfwhm": u.arcsec,
    "temperature": u.deg_C,
    "winddirection": u.deg,
    "windgust": u.m / u.s,
    "windspeed": u.m / u.s,
}


class AlpacaSwitch(AlpacaDevice, Switch):
    alpaca_type = "switch"

    def __init__(self, *args: Any, outlets: dict[str, int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.outlets = dict(outlets or {})
        self._names: list[str] | None = None

    async def names(self) -> list[str]:
        if self._names is None:
            n = int(await self._get("maxswitch"))
            self._names = [
                str(x)
                for x in await asyncio.gather(*(self._get("getswitchname", Id=i) for i in range(n)))
            ]
        return self._names

    async def _index(self, switch: int | str) -> int:
        if isinstance(switch, int):
            count = len(await self.names())
            if not 0 <= switch < count:
                raise InvalidValue(self.name, "switch", f"no switch {switch} (has {count})")
            return switch
        if switch in self.outlets:
            return self.outlets[switch]
        names = await self.names()
        if switch in names:
            return names.index(switch)
        raise InvalidValue(
            self.name,
            "switch",
            f"no switch named {switch!r} (outlets {sorted(self.outlets)}, switches {names})",
        )

    async def get(self, switch: int | str) -> float:
        return float(await self._get("getswitchvalue", Id=await self._index(switch)))

    async def set(self, switch: int | str, value: float | bool) -> None:
        await self._put("setswitchvalue", Id=await self._index(switch), Value=float(value))

    async def _status(self) -> dict[str, Any]:
        names = await self.names()
        values = await asyncio.gather(
            *(self._get("getswitchvalue", Id=i) for i in range(len(names)))
        )
        by_index = {v: k for k, v in self.outlets.items()}
        return {
            "switches": [
                {"index": i, "name": n, "outlet": by_index.get(i), "value": float(v)}
                for i, (n, v) in enumerate(zip(names, values, strict=True))
            ]
        }


class AlpacaObservingConditions(AlpacaDevice, ObservingConditions):
    alpaca_type = "observingconditions"

    async def _one(self, key: str) -> float | None:
        try:
            v = await self._get(key)
        except NotImplementedByDevice:
            return None
        return None if v is None else float(v)

    async def read(self) -> dict[str, u.Quantity | None]:
        values = await asyncio.gather(*(self._one(k) for k in _CONDITION_UNITS))
        return {
            k: (None if v is None else v * unit)
            for (k, unit), v in zip(_CONDITION_UNITS.items(), values, strict=True)
        }

    async def _status(self) -> dict[str, Any]:
        values = await asyncio.gather(*(self._one(k) for k in _CONDITION_UNITS))
        return dict(zip(_CONDITION_UNITS, values, strict=True))


class AlpacaSafetyMonitor(AlpacaDevice, SafetyMonitor):
    alpaca_type = "safetymonitor"

    async def is_safe(self) -> bool:
        return bool(await self._get("issafe"))

    async def _status(self) -> dict[str, Any]:
        return {"safe": await self.is_safe()}
