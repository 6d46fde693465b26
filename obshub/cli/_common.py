"""Helpers shared by the CLI modules."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from obshub.station import Station

T = TypeVar("T")


def with_station(path: str, job: Callable[[Station], Awaitable[T]]) -> T:
    """Load ``path``, run ``job(station)`` in a fresh event loop, always release connections."""

    async def main() -> T:
        station = Station.from_file(path)
        try:
            return await job(station)
        finally:
            await station.aclose()

    return asyncio.run(main())
