"""The stations the service drives: the only place that holds connections to shared kit.

One station file is one site. Kernels, dashboards and the scheduler all go through here, so a
device sees one client however many users look at it; status reads are shared for a short
while (``status_cache_s``) so that fifty dashboards cost the devices one read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obshub.devices.interfaces import Device
from obshub.errors import ConfigError
from obshub.station import Station
from obshub.station.load import parse_station
from obshub.station.model import StationConfig

log = logging.getLogger("obshub.service")


def slug(name: str) -> str:
    """A site's id in URLs: ``"Demo Observatory"`` → ``"demo-observatory"``."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s or "site"


@dataclass
class DeviceEntry:
    name: str
    kind: str
    telescope: str | None  # None: site-wide kit (dome, cover, switches, weather)
    device: Device


@dataclass
class Site:
    """One station as the service serves it."""

    id: str
    path: Path
    base_config: StationConfig
    station: Station
    devices: dict[str, DeviceEntry] = field(default_factory=dict)
    _status: dict[str, Any] | None = None
    _status_at: float = 0.0
    _status_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _refresher: asyncio.Task | None = None
    status_json: bytes = b"{}"

    @property
    def config(self) -> StationConfig:
        return self.station.config

    @property
    def telescopes(self) -> list[str]:
        return [m.name for m in self.config.mounts]

    def index(self) -> None:
        self.devices = {}
        st = self.station
        for unit in st.mounts.values():
            self.devices[unit.mount.name] = DeviceEntry(
                unit.mount.name, "mount", unit.name, unit.mount
            )
            for inst in unit.ports.values():
                for dev in (inst.camera, inst.filter_wheel, inst.focuser, inst.rotator):
                    if dev is not None:
                        self.devices[dev.name] = DeviceEntry(dev.name, dev.kind, unit.name, dev)
        for dev in st.devices.values():
            if dev.name not in self.devices:
                self.devices[dev.name] = DeviceEntry(dev.name, dev.kind, None, dev)

    def summary(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "id": self.id,
            "name": cfg.site.name,
            "observer": cfg.observer,
            "latitude": cfg.site.latitude,
            "longitude": cfg.site.longitude,
            "elevation": cfg.site.elevation,
            "timezone": cfg.site.timezone,
            "telescopes": [
                {
                    "name": m.name,
                    "type": m.type.value,
                    "ports": [
                        {"name": p.name, "kind": p.kind.value, "script": p.script} for p in m.ports
                    ],
                }
                for m in cfg.mounts
            ],
            "devices": [
                {"name": d.name, "kind": d.kind, "telescope": d.telescope}
                for d in self.devices.values()
            ],
        }

    async def status(self, max_age: float) -> dict[str, Any]:
        """The station's status, read from the devices at most once per ``max_age`` seconds.

        Once there is a snapshot, callers never wait for the devices: an old one is returned
        while a single background read refreshes it (a slow device must not stall fifty
        dashboards).
        """
        if self._status is None:
            async with self._status_lock:
                if self._status is None:
                    await self._refresh()
        elif time.monotonic() - self._status_at > max_age and not self._status_lock.locked():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_locked())
        assert self._status is not None
        return self._status

    async def _refresh_locked(self) -> None:
        async with self._status_lock:
            await self._refresh()

    async def _refresh(self) -> None:
        snap = await self.station.status()
        snap["site_id"] = self.id
        snap["read_at"] = time.time()
        # Encoded once per read, not once per reader: a station's status is a big document.
        self.status_json = json.dumps(snap, default=str, allow_nan=False).encode()
        self._status, self._status_at = snap, time.monotonic()


class Registry:
    """Every site the service serves, by id."""

    def __init__(self, paths: list[Path]):
        self.sites: dict[str, Site] = {}
        for p in paths:
            st = Station.from_file(p)
            sid = slug(st.config.site.name)
            if sid in self.sites:
                raise ConfigError(
                    str(p), [("site.name", f"site id {sid!r} is already used by another file")]
                )
            site = Site(sid, Path(p), st.config, st)
            site.index()
            self.sites[sid] = site

    async def connect_all(self) -> None:
        """Connect every device; one that is down is logged, not fatal (status shows it)."""
        for site in self.sites.values():
            res = await site.station.connect()
            for name, err in res.items():
                if err:
                    log.warning("%s: %s did not connect: %s", site.id, name, err)

    def apply_patches(self, site: Site, patches: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Rebuild a site's station with its ports' edited configuration.

        Raises
        ------
        ConfigError
            When the edited configuration is invalid (nothing changes then).
        """
        doc = site.base_config.model_dump(mode="json", exclude_none=True)
        for m in doc["mounts"]:
            for p in m["ports"]:
                patch = patches.get((m["name"], p["name"]))
                if patch:
                    apply_port_patch(p, patch)
        new = parse_station(doc, source=f"{site.id} (edited)")
        old = site.station
        site.station = Station(new, backends=None)
        site.index()
        site._status = None

        async def _close_later() -> None:
            # Calls already under way on the old objects finish first.
            await asyncio.sleep(30)
            with contextlib.suppress(Exception):
                await old.aclose()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(_close_later())

    async def aclose(self) -> None:
        for site in self.sites.values():
            await site.station.aclose()


# What an instrument configurer may change on a port, and where it lives in the port's dict.
PORT_FIELDS = {
    "script": ("script",),
    "focal_length": ("focal_length",),
    "aperture": ("aperture",),
    "filters": ("filter_wheel", "filters"),
    "focus_offsets": ("filter_wheel", "focus_offsets"),
    "gain": ("camera", "gain"),
}


def apply_port_patch(port: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        path = PORT_FIELDS[key]
        target = port
        for part in path[:-1]:
            if target.get(part) is None:
                raise ConfigError("port", [(key, f"this port has no {part}")])
            target = target[part]
        if value is None:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value


def port_view(port: Any) -> dict[str, Any]:
    """The editable fields of a port, as they are now."""
    fw = port.filter_wheel
    return {
        "script": port.script,
        "focal_length": port.focal_length,
        "aperture": port.aperture,
        "filters": fw.filters if fw else None,
        "focus_offsets": fw.focus_offsets if fw else None,
        "gain": port.camera.gain,
    }
