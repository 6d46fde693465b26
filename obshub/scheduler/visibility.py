"""Observability for all targets at one site over one night, vectorised.

astropy's full AltAz transform is exact but costs about a microsecond per target × time cell;
a night of 2,000 targets at 1-minute steps on four sites would take seconds. Here each target's
apparent (CIRS) place is computed once per night with ERFA, and the night's motion is only Earth
rotation: hour angle = ERA + longitude − apparent RA, then plain spherical trigonometry over
targets × times in numpy. What this leaves out over a night — the drift of aberration and
precession-nutation (≈0.1″), diurnal aberration (≤0.3″), polar motion (≈0.3″), refraction (the
comparison uses none) — keeps it within an arcsecond of astropy (measured in
``tests/scheduler/test_visibility.py``). Sun and Moon come from astropy on a 10-minute grid,
interpolated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import astropy.units as u
import erfa
import numpy as np
from astropy.coordinates import AltAz, get_body, get_sun
from astropy.time import Time

from obshub.scheduler.sky import sky_brightness
from obshub.scheduler.telescopes import Site

_COARSE_S = 600.0


@dataclass(frozen=True)
class TimeGrid:
    """The planning grid: ``n`` steps of ``step_s`` seconds from ``t0`` (UTC)."""

    t0: Time
    step_s: float
    n: int

    def time(self, i) -> Time:
        return self.t0 + np.asarray(i, dtype=float) * self.step_s * u.s

    def index(self, t: Time) -> int:
        """The grid index at or before ``t`` (may lie outside [0, n))."""
        return int(math.floor(round((t - self.t0).to_value(u.s) / self.step_s, 6)))

    def index_ceil(self, t: Time) -> int:
        return int(math.ceil(round((t - self.t0).to_value(u.s) / self.step_s, 6)))

    @property
    def end(self) -> Time:
        return self.time(self.n)

    @classmethod
    def for_night(cls, night: date | str, sites: list[Site], step_s: float = 60.0) -> TimeGrid:
        """From the earliest site's local noon on ``night`` to the latest's next noon.

        Local noon is taken as 12 h − longitude/15 UTC (mean solar time), which is what decides
        which night a site is in; civil time zones do not matter here.
        """
        if isinstance(night, str):
            night = date.fromisoformat(night)
        base = datetime(night.year, night.month, night.day, 12)
        noons = [base - timedelta(hours=((s.longitude + 180) % 360 - 180) / 15.0) for s in sites]
        start = min(noons).replace(second=0, microsecond=0)
        start -= timedelta(minutes=start.minute % 10)
        end = max(noons) + timedelta(hours=24)
        n = int(math.ceil((end - start).total_seconds() / step_s))
        return cls(Time(start, scale="utc"), step_s, n)


def _altaz_vectors(alt_deg, az_deg):
    a, z = np.radians(alt_deg), np.radians(az_deg)
    return np.stack([np.cos(a) * np.sin(z), np.cos(a) * np.cos(z), np.sin(a)], axis=-1)


def _interp_altaz(tc, alt, az, tf):
    """Interpolate a body's alt/az as unit vectors (azimuth wraps; vectors do not)."""
    v = _altaz_vectors(alt, az)
    vi = np.stack([np.interp(tf, tc, v[:, j]) for j in range(3)], axis=-1)
    vi /= np.linalg.norm(vi, axis=-1, keepdims=True)
    return np.degrees(np.arcsin(np.clip(vi[:, 2], -1, 1))), np.degrees(
        np.arctan2(vi[:, 0], vi[:, 1])
    ) % 360.0


def sun_altitude(site: Site, times: Time) -> np.ndarray:
    """The Sun's altitude (deg) at ``site`` at ``times`` (astropy, no refraction)."""
    frame = AltAz(obstime=times, location=site.location)
    return get_sun(times).transform_to(frame).alt.deg


def moon_phase_angle(times: Time) -> np.ndarray:
    """Sun-Moon-Earth angle in degrees (0 full, 180 new), geocentric."""
    sun = get_sun(times)
    moon = get_body("moon", times)
    elong = sun.separation(moon, origin_mismatch="ignore").rad
    r_sun = sun.distance.to_value(u.km)
    r_moon = moon.distance.to_value(u.km)
    return np.degrees(np.arctan2(r_sun * np.sin(elong), r_moon - r_sun * np.cos(elong)))


def apparent_places(ra_deg, dec_deg, when: Time) -> tuple[np.ndarray, np.ndarray]:
    """CIRS right ascension and declination (radians) of ICRS positions at ``when``.

    One ERFA call for all targets: space motion, light deflection, annual aberration and
    precession-nutation. Valid to ~0.1″ for a few hours either side of ``when``.
    """
    ra = np.radians(np.asarray(ra_deg, dtype=float))
    dec = np.radians(np.asarray(dec_deg, dtype=float))
    z = np.zeros_like(ra)
    tdb = when.tdb
    ri, di, _eo = erfa.atci13(ra, dec, z, z, z, z, tdb.jd1, tdb.jd2)
    return ri, di


def horizontal(ri, di, era, lon_rad, lat_rad):
    """Altitude and azimuth (deg; azimuth N through E) over targets × times."""
    h = era[None, :] + lon_rad - ri[:, None]
    sd, cd = np.sin(di)[:, None], np.cos(di)[:, None]
    sl, cl = math.sin(lat_rad), math.cos(lat_rad)
    ch, sh = np.cos(h), np.sin(h)
    alt = np.degrees(np.arcsin(np.clip(sl * sd + cl * cd * ch, -1.0, 1.0)))
    az = np.degrees(np.arctan2(-cd * sh, sd * cl - cd * sl * ch)) % 360.0
    return alt, az


class Quantities:
    """Lazily computed arrays for a set of target rows × the site's times.

    Keys: ``altitude``, ``azimuth``, ``airmass``, ``moon_separation``, ``sky_brightness``
    (targets × times) and ``sun_altitude``, ``moon_illumination`` (times).
    """

    def __init__(self, night: SiteNight, alt: np.ndarray, az: np.ndarray):
        self.night = night
        self._c: dict[str, np.ndarray] = {"altitude": alt, "azimuth": az}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._c:
            self._c[key] = self._compute(key)
        return self._c[key]

    def _compute(self, key: str) -> np.ndarray:
        n = self.night
        alt = self._c["altitude"]
        if key == "airmass":
            with np.errstate(divide="ignore"):
                s = np.sin(np.radians(alt))
                return np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), np.inf)
        if key == "moon_separation":
            a1, z1 = np.radians(alt), np.radians(self._c["azimuth"])
            a2, z2 = np.radians(n.moon_alt)[None, :], np.radians(n.moon_az)[None, :]
            c = np.sin(a1) * np.sin(a2) + np.cos(a1) * np.cos(a2) * np.cos(z1 - z2)
            return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))
        if key == "sky_brightness":
            return sky_brightness(
                alt,
                n.moon_alt[None, :],
                self["moon_separation"],
                n.moon_phase[None, :],
                n.sun_alt[None, :],
            )
        if key == "sun_altitude":
            return n.sun_alt
        if key == "moon_illumination":
            return n.moon_illumination_effective
        if key == "above_horizon":
            return alt >= n.site.horizon_altitude(self._c["azimuth"])
        raise KeyError(key)


@dataclass
class SiteNight:
    """Everything time-dependent at one site for one night, on the planning grid.

    ``i0:i1`` is the slice of the global :class:`TimeGrid` when the Sun is below the horizon;
    nothing is planned at a site outside it.
    """

    site: Site
    grid: TimeGrid
    i0: int
    i1: int
    sun_alt: np.ndarray
    moon_alt: np.ndarray
    moon_az: np.ndarray
    moon_phase: np.ndarray
    era: np.ndarray
    mid: Time
    q: Quantities | None = None
    _rows: dict = field(default_factory=dict)

    @property
    def n_times(self) -> int:
        return self.i1 - self.i0

    @property
    def moon_illumination(self) -> np.ndarray:
        return (1.0 + np.cos(np.radians(self.moon_phase))) / 2.0

    @property
    def moon_illumination_effective(self) -> np.ndarray:
        """Illumination, counting a Moon below the horizon as dark (as astroplan does)."""
        return np.where(self.moon_alt > 0, self.moon_illumination, 0.0)

    @classmethod
    def compute(cls, site: Site, grid: TimeGrid) -> SiteNight:
        """Sun, Moon and Earth rotation at ``site`` for the night inside ``grid``."""
        lon = (site.longitude + 180) % 360 - 180
        # Local noon of the grid's night at this site, then 24 h of coarse samples.
        t_noon = (
            grid.t0
            + (
                (12.0 - lon / 15.0 - (grid.t0.datetime.hour + grid.t0.datetime.minute / 60.0))
                % 24.0
            )
            * u.hour
        )
        if (t_noon - grid.t0).to_value(u.hour) < 0:
            t_noon += 24 * u.hour
        nc = int(86400 / _COARSE_S) + 1
        tc_s = (t_noon - grid.t0).to_value(u.s) + np.arange(nc) * _COARSE_S
        tc = grid.t0 + tc_s * u.s
        frame = AltAz(obstime=tc, location=site.location)
        sun = get_sun(tc).transform_to(frame)
        sun_alt_c = sun.alt.deg
        dark = np.nonzero(sun_alt_c < 0.0)[0]
        if len(dark) == 0:  # midsummer at high latitude: no night at all
            i0 = i1 = grid.index(t_noon)
        else:
            i0 = max(0, int(math.ceil(tc_s[dark[0]] / grid.step_s)))
            i1 = min(grid.n, int(math.floor(tc_s[dark[-1]] / grid.step_s)) + 1)
        tf_s = np.arange(i0, i1) * grid.step_s
        times = grid.t0 + tf_s * u.s
        sun_alt, _ = _interp_altaz(tc_s, sun_alt_c, sun.az.deg, tf_s)
        moon = get_body("moon", tc, location=site.location).transform_to(frame)
        moon_alt, moon_az = _interp_altaz(tc_s, moon.alt.deg, moon.az.deg, tf_s)
        # The phase angle changes ~12° a day: a few samples suffice.
        tp_s = np.linspace(tc_s[0], tc_s[-1], 5)
        phase = np.interp(tf_s, tp_s, moon_phase_angle(grid.t0 + tp_s * u.s))
        ut1 = times.ut1 if len(times) else times
        era = erfa.era00(ut1.jd1, ut1.jd2) if len(times) else np.zeros(0)
        mid = grid.time((i0 + i1) / 2)
        return cls(site, grid, i0, i1, sun_alt, moon_alt, moon_az, phase, np.asarray(era), mid)

    def times(self) -> Time:
        return self.grid.time(np.arange(self.i0, self.i1))

    def target_quantities(self, ra_deg, dec_deg) -> Quantities:
        """Quantities for targets at ICRS ``ra_deg``, ``dec_deg`` over this night."""
        ri, di = apparent_places(ra_deg, dec_deg, self.mid)
        alt, az = horizontal(
            ri, di, self.era, math.radians(self.site.longitude), math.radians(self.site.latitude)
        )
        return Quantities(self, alt, az)

    def set_targets(self, ra_deg, dec_deg) -> Quantities:
        """Compute and keep the quantities of the night's target list."""
        self.q = self.target_quantities(ra_deg, dec_deg)
        return self.q
