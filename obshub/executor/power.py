"""Power switches: bring a station's outlets up before a block and down after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from obshub.errors import ConfigError, ObshubError
from obshub.station.station import Station


def _split(station: Station, ref: str) -> tuple[Any, str]:
    name, _, outlet = ref.partition(".")
    sw = station.switches.get(name)
    if sw is None or not outlet:
        known = [f"{s.name}.{o}" for s in station.config.switches for o in s.outlets]
        raise ConfigError(
            "block",
            [("executor.power", f"no outlet {ref!r} (known: {', '.join(known) or 'none'})")],
        )
    return sw, outlet


async def set_power(
    station: Station, refs: list[str], on: bool, record: Callable[..., Any]
) -> None:
    """Switch each ``switch.outlet`` in ``refs``; each change is recorded."""
    for ref in refs:
        sw, outlet = _split(station, ref)
        try:
            await sw.set(outlet, on)
            record("power", outlet=ref, on=on)
        except ObshubError as exc:
            record("warning", message=f"power {ref} {'on' if on else 'off'} failed: {exc}")
            if on:
                raise
