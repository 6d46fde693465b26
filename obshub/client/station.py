"""``RemoteStation``: a :class:`~obshub.station.Station` whose devices live behind the service.

It is built from the station configuration the service serves, with the same grouping
(``.mounts[name].mount``, ``.mounts[name].ports[port].camera``, ``.dome`` …), so code written
for a local station runs against shared kit without holding a connection to it. On top it adds
what only a shared station has: control leases, observing requests, frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from obshub.client.devices import CLASSES
from obshub.client.http import ServiceClient
from obshub.errors import ObshubError
from obshub.station.load import parse_station
from obshub.station.model import StationConfig
from obshub.station.station import Station


class RemoteStation(Station):
    """A station reached through the obshub service.

    Use :meth:`open`::

        station = await RemoteStation.open()          # the first site you may see
        await station.status()
        async with station.lease("main"):
            await station.mounts["main"].mount.slew(target)

    Parameters
    ----------
    config
        The site's station configuration (from ``GET /sites/{site}/config``).
    client
        An authenticated :class:`ServiceClient`.
    site
        The site's id in the service.
    """

    def __init__(self, config: StationConfig, client: ServiceClient, site: str):
        self.client = client
        self.site_id = site
        super().__init__(config, backends={})

    @classmethod
    async def open(
        cls, site: str | None = None, *, url: str | None = None, token: str | None = None
    ) -> RemoteStation:
        """Connect to the service and build the station of ``site`` (the first visible one)."""
        client = ServiceClient(url, token)
        try:
            if site is None:
                sites = await client.get("sites")
                if not sites:
                    raise ObshubError("the service shows you no site: ask a site owner for a grant")
                site = sites[0]["id"]
            doc = await client.get(f"sites/{site}/config")
            config = parse_station(doc, source=f"{client.url} site {site}")
        except BaseException:
            await client.aclose()
            raise
        return cls(config, client, site)

    def _make(self, kind: str, name: str, ref: Any, **extra: Any) -> Any:
        dev = CLASSES[kind](name, self.client, self.site_id)
        self.devices[name] = dev
        return dev

    async def connect(self) -> dict[str, str | None]:
        """The service holds the device connections: this only checks that it answers."""
        snap = await self.client.get(f"sites/{self.site_id}/status")
        return {
            n: (None if d.get("ok") else str(d.get("error"))) for n, d in snap["devices"].items()
        }

    async def status(self) -> dict[str, Any]:
        """Every device's state, as the service last read it (one call)."""
        return await self.client.get(f"sites/{self.site_id}/status")

    async def aclose(self) -> None:
        await self.client.aclose()

    # leases ----------------------------------------------------------------------------------
    async def acquire(
        self, telescope: str, duration_s: float | None = None, *, scheduler: bool = False
    ) -> dict[str, Any]:
        """Take (or renew) a telescope's control lease; ``LeaseError`` if someone has it.

        ``scheduler=True`` (the executor's token, scope ``custom:obshub:scheduler``) pre-empts
        a manual holder or waits, as the site's policy says.
        """
        return await self.client.put(
            f"sites/{self.site_id}/telescopes/{telescope}/lease",
            {"duration_s": duration_s, "scheduler": scheduler},
        )

    async def release(self, telescope: str) -> dict[str, Any]:
        return await self.client.delete(f"sites/{self.site_id}/telescopes/{telescope}/lease")

    @contextlib.asynccontextmanager
    async def lease(
        self, telescope: str, duration_s: float | None = None, *, scheduler: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        """Hold a telescope's control lease for the block."""
        held = await self.acquire(telescope, duration_s, scheduler=scheduler)
        try:
            yield held
        finally:
            with contextlib.suppress(ObshubError):
                await self.release(telescope)

    async def leases(self) -> list[dict[str, Any]]:
        return await self.client.get(f"sites/{self.site_id}/leases")

    # requests, plan, frames ------------------------------------------------------------------
    async def submit(self, request: dict[str, Any]) -> dict[str, Any]:
        """Submit an observing request (the scheduler's request schema)."""
        return await self.client.post(f"sites/{self.site_id}/requests", request)

    async def requests(self, state: str | None = None) -> list[dict[str, Any]]:
        params = {"state": state} if state else None
        return await self.client.get(f"sites/{self.site_id}/requests", params=params)

    async def cancel(self, request_id: str) -> dict[str, Any]:
        return await self.client.delete(f"sites/{self.site_id}/requests/{request_id}")

    async def queue(self) -> list[dict[str, Any]]:
        return await self.client.get(f"sites/{self.site_id}/queue")

    async def schedule(self) -> dict[str, Any]:
        return await self.client.get(f"sites/{self.site_id}/schedule")

    async def nights(self) -> list[dict[str, Any]]:
        return await self.client.get(f"sites/{self.site_id}/nights")

    async def frames(self, night: str) -> list[dict[str, Any]]:
        return await self.client.get(f"sites/{self.site_id}/nights/{night}/frames")

    async def download(self, frame: dict[str, Any], to: str | Path) -> Path:
        """Save a frame (as listed by :meth:`frames`) into a directory or to a file path."""
        to = Path(to)
        path = to / frame["file"] if to.is_dir() else to
        resp = await self.client.request("GET", frame["url"], timeout=300.0)
        await asyncio.to_thread(path.write_bytes, resp.content)
        return path

    async def me(self) -> dict[str, Any]:
        return await self.client.get("me")
