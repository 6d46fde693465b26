"""Telescopes as the scheduler sees them, built from station files.

A telescope is one mount at one site with the instruments on its ports. What the scheduler
needs of it: where it is, what it can do (imaging or spectroscopy, which filters, field of view),
how fast it moves (for transitions), and when it is not available (the owner's reserved nights,
maintenance, weather closures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import astropy.units as u
from astropy.coordinates import EarthLocation
from astropy.time import Time

from obshub.station.model import StationConfig

# A nominal APS-C sensor: the station file gives focal lengths, not sensor sizes.
_NOMINAL_SENSOR_MM = 23.5


@dataclass(frozen=True)
class Site:
    """An observing site (from a station file's ``site``)."""

    name: str
    latitude: float
    longitude: float
    elevation: float
    min_altitude: float = 20.0
    horizon: tuple[tuple[float, float], ...] | None = None

    @property
    def location(self) -> EarthLocation:
        # Explicit coordinates: EarthLocation.of_site would download a site list.
        return EarthLocation.from_geodetic(
            self.longitude * u.deg, self.latitude * u.deg, self.elevation * u.m
        )

    def horizon_altitude(self, az_deg):
        """Minimum altitude (deg) at azimuth(s) ``az_deg``: the profile, at least ``min_altitude``."""
        import numpy as np

        az = np.asarray(az_deg, dtype=float)
        if not self.horizon:
            return np.full(az.shape, self.min_altitude)
        pa = np.array([a for a, _ in self.horizon] + [self.horizon[0][0] + 360.0])
        ph = np.array([h for _, h in self.horizon] + [self.horizon[0][1]])
        prof = np.interp(np.mod(az - pa[0], 360.0) + pa[0], pa, ph)
        return np.maximum(prof, self.min_altitude)


@dataclass(frozen=True)
class InstrumentCaps:
    """What one port can do."""

    port: str
    kind: str = "imaging"
    filters: tuple[str, ...] | None = (
        None  # None: a wheel whose names come from the device; (): no wheel
    )
    fov_deg: float | None = None


@dataclass(frozen=True)
class Downtime:
    """An interval when a telescope (or a whole site) cannot observe."""

    start: Time
    end: Time
    reason: str = "maintenance"  # "weather", "reserved", "maintenance", "fault"


@dataclass(frozen=True)
class Telescope:
    """One schedulable telescope.

    Parameters
    ----------
    id
        ``"<station>/<mount>"``, unique across the network.
    slew_rate
        Degrees per second, both axes at once; transitions are ``distance / slew_rate +
        settle_s``.
    settle_s, filter_change_s, readout_s
        Overheads in seconds.
    downtime
        Intervals when it is unavailable.
    preemption
        The site's policy for urgent requests: ``"interrupt"`` (may stop the running block),
        ``"next"`` (after the running block, displacing later ones) or ``"never"``.
    """

    id: str
    site: Site
    instruments: tuple[InstrumentCaps, ...] = (InstrumentCaps("imaging"),)  # any filter
    slew_rate: float = 3.0
    settle_s: float = 10.0
    filter_change_s: float = 5.0
    readout_s: float = 2.0
    cooperates_with: tuple[str, ...] = ()
    downtime: tuple[Downtime, ...] = ()
    preemption: str = "interrupt"  # urgent requests may: "interrupt" a running block, go "next", or "never" pre-empt

    @property
    def setup_s(self) -> float:
        """The acquisition slot at the start of every block: the longest slew plus settling.

        Two targets both above the site's minimum altitude h are at most 180° − 2h apart.
        Reserving that worst case makes every order of blocks feasible, so neither planner
        needs sequence-dependent transitions; the validator checks the real slews fit.
        """
        longest = 180.0 - 2.0 * self.site.min_altitude
        return longest / self.slew_rate + self.settle_s + self.filter_change_s

    def can_do(self, kind: str, filters: set[str]) -> str | None:
        """``None`` if some port does ``kind`` with all ``filters``; else why not."""
        ports = [i for i in self.instruments if i.kind == kind]
        if not ports:
            return f"no {kind} port"
        for p in ports:
            if not filters or p.filters is None or filters <= set(p.filters):
                return None
        have = sorted({f for p in ports for f in p.filters or ()})
        return f"filters {sorted(filters - set(have))} missing (has {have})"

    def with_downtime(self, *extra: Downtime) -> Telescope:
        return replace(self, downtime=self.downtime + tuple(extra))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip()).strip("-")


def telescopes_from_station(
    cfg: StationConfig, *, station_id: str | None = None
) -> list[Telescope]:
    """One :class:`Telescope` per mount of a validated station file."""
    s = cfg.site
    site = Site(
        name=s.name,
        latitude=s.latitude,
        longitude=s.longitude,
        elevation=s.elevation,
        min_altitude=s.horizon.min_altitude,
        horizon=tuple(tuple(p) for p in s.horizon.profile) if s.horizon.profile else None,
    )
    sid = station_id or _slug(s.name)
    out = []
    for m in cfg.mounts:
        rate = 3.0
        server = cfg.servers.get(m.device.server)
        if server is not None and server.simulator is not None:
            rate = server.simulator.slew_rate
        instruments = []
        for p in m.ports:
            if p.kind.value == "guide":
                continue
            fov = None
            if p.focal_length:
                fov = math.degrees(2 * math.atan(_NOMINAL_SENSOR_MM / 2 / p.focal_length))
            filters = None
            if p.filter_wheel is None:
                filters = ()
            elif p.filter_wheel.filters:
                filters = tuple(p.filter_wheel.filters)
            instruments.append(InstrumentCaps(p.name, p.kind.value, filters, fov))
        out.append(
            Telescope(
                id=f"{sid}/{m.name}",
                site=site,
                instruments=tuple(instruments),
                slew_rate=rate,
                cooperates_with=tuple(f"{sid}/{c}" for c in m.cooperates_with),
            )
        )
    return out


def load_telescopes(*paths: str | Path) -> list[Telescope]:
    """Telescopes of every station file in ``paths`` (each validated; ConfigError if not)."""
    from obshub.station import load_station

    out: list[Telescope] = []
    for path in paths:
        out += telescopes_from_station(load_station(path))
    ids = [t.id for t in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        from obshub.errors import ConfigError

        raise ConfigError(
            ", ".join(map(str, paths)), [("mounts", f"duplicate telescope ids {sorted(dup)}")]
        )
    return out
