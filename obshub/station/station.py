"""The live station: device objects built from a station file, grouped as the file groups them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.coordinates import EarthLocation

from obshub.devices.backend import Backend, backend_class
from obshub.devices.interfaces import (
    Camera,
    Cover,
    Device,
    Dome,
    FilterWheel,
    Focuser,
    Mount,
    ObservingConditions,
    Rotator,
    SafetyMonitor,
    Switch,
)
from obshub.station.load import load_station
from obshub.station.model import MountConfig, PortConfig, PortKind, StationConfig


@dataclass
class Instrument:
    """What one port of a mount carries."""

    name: str
    config: PortConfig
    camera: Camera
    filter_wheel: FilterWheel | None = None
    focuser: Focuser | None = None
    rotator: Rotator | None = None

    @property
    def kind(self) -> PortKind:
        return self.config.kind


@dataclass
class MountUnit:
    """A mount and the instruments on its ports."""

    name: str
    config: MountConfig
    mount: Mount
    ports: dict[str, Instrument] = field(default_factory=dict)


class Station:
    """A station's devices, built from its validated configuration.

    Parameters
    ----------
    config
        The validated station file.
    backends
        Backend instances by protocol; made from the ``obshub.backends`` entry points when
        not given.

    Examples
    --------
    >>> station = Station.from_file("examples/demo-station.yaml")  # doctest: +SKIP
    >>> await station.connect()  # doctest: +SKIP
    >>> await station.status()  # doctest: +SKIP
    """

    def __init__(self, config: StationConfig, backends: dict[str, Backend] | None = None):
        self.config = config
        self.backends: dict[str, Backend] = dict(backends or {})
        self.devices: dict[str, Device] = {}
        self.mounts: dict[str, MountUnit] = {}
        self.switches: dict[str, Switch] = {}
        self.dome: Dome | None = None
        self.cover: Cover | None = None
        self.safety_monitor: SafetyMonitor | None = None
        self.observing_conditions: ObservingConditions | None = None
        self._build()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Station:
        """Load, validate and build a station file."""
        return cls(load_station(path), **kwargs)

    def _backend(self, protocol: str) -> Backend:
        if protocol not in self.backends:
            self.backends[protocol] = backend_class(protocol)()
        return self.backends[protocol]

    def _make(self, kind: str, name: str, ref: Any, **extra: Any) -> Any:
        server = self.config.servers[ref.server]
        dev = self._backend(server.protocol.value).create(kind, name, server, ref, **extra)
        self.devices[name] = dev
        return dev

    def _build(self) -> None:
        cfg = self.config
        for m in cfg.mounts:
            unit = MountUnit(m.name, m, self._make("mount", m.name, m.device))
            for p in m.ports:
                base = f"{m.name}.{p.name}"
                unit.ports[p.name] = Instrument(
                    name=base,
                    config=p,
                    camera=self._make("camera", f"{base}.camera", p.camera),
                    filter_wheel=p.filter_wheel
                    and self._make("filterwheel", f"{base}.filter_wheel", p.filter_wheel),
                    focuser=p.focuser and self._make("focuser", f"{base}.focuser", p.focuser),
                    rotator=p.rotator and self._make("rotator", f"{base}.rotator", p.rotator),
                )
            self.mounts[m.name] = unit
        if cfg.dome:
            self.dome = self._make("dome", "dome", cfg.dome)
        if cfg.cover:
            self.cover = self._make("cover", "cover", cfg.cover)
        if cfg.safety_monitor:
            self.safety_monitor = self._make("safetymonitor", "safety_monitor", cfg.safety_monitor)
        if cfg.observing_conditions:
            self.observing_conditions = self._make(
                "observingconditions", "observing_conditions", cfg.observing_conditions
            )
        for s in cfg.switches:
            self.switches[s.name] = self._make(
                "switch", f"switch.{s.name}", s.device, outlets=s.outlets
            )

    @property
    def name(self) -> str:
        return self.config.site.name

    @property
    def location(self) -> EarthLocation:
        s = self.config.site
        return EarthLocation.from_geodetic(
            s.longitude * u.deg, s.latitude * u.deg, s.elevation * u.m
        )

    def instruments(self) -> list[tuple[MountUnit, Instrument]]:
        """Every instrument with its mount, in file order."""
        return [(m, i) for m in self.mounts.values() for i in m.ports.values()]

    def instrument(self, name: str | None = None) -> tuple[MountUnit, Instrument]:
        """Find an instrument by ``mount.port`` or camera name; by default the first imaging one.

        Raises
        ------
        KeyError
            With the names there are.
        """
        pairs = self.instruments()
        if name is None:
            for m, i in pairs:
                if i.kind is PortKind.imaging:
                    return m, i
            raise KeyError(f"{self.name}: no imaging port")
        for m, i in pairs:
            if name in (i.name, i.camera.name, i.config.name):
                return m, i
        known = ", ".join(i.name for _, i in pairs)
        raise KeyError(f"{self.name}: no instrument or camera {name!r} (known: {known})")

    async def connect(self) -> dict[str, str | None]:
        """Connect every device concurrently.

        Returns
        -------
        dict
            Device name → ``None`` if connected, else the error message. One device that is
            down never stops the others from connecting.
        """
        names = list(self.devices)
        results = await asyncio.gather(
            *(self.devices[n].connect() for n in names), return_exceptions=True
        )
        out: dict[str, str | None] = {}
        for n, r in zip(names, results, strict=True):
            if isinstance(r, BaseException) and not isinstance(r, Exception):
                raise r
            out[n] = None if r is None else str(r)
        return out

    async def status(self) -> dict[str, Any]:
        """Every device's state, read concurrently; a down device shows its error."""
        names = list(self.devices)
        snaps = await asyncio.gather(*(self.devices[n].status() for n in names))
        return {
            "station": self.name,
            "site": self.config.site.model_dump(mode="json"),
            "devices": dict(zip(names, snaps, strict=True)),
        }

    async def aclose(self) -> None:
        """Release every connection (devices are left as they are)."""
        for b in self.backends.values():
            await b.aclose()

    async def __aenter__(self) -> Station:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
