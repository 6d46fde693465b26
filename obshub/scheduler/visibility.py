"""Observability for all targets at one site over one night, vectorised.

astropy's full AltAz transform is exact but costs about a microsecond per target × time cell;
a night of 2,000 targets at 1-minute steps on four sites would take seconds. Here each target's
apparent (CIRS) place is computed once per night with ERFA, and the night's motion is only Earth
rotation: hour angle = ERA + longitude − apparent RA, then plain spherical trigonometry over
targets × times in numpy. What this leaves out over a night — the drift of aberration and
precession-nutation (≈0.1″), diurnal aberration (≤0.3″), polar motion (≈0.3″), refraction (the
comparison uses none) — keeps it within an arcsecond of astropy (measured in
``tests/scheduler/test_sched_visibility.py``). Sun and Moon come from astropy on a 10-minute grid,
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
    # apci13 once, then atciq per star: atci13 would rebuild the astrometry for every star.
    astrom, _eo = erfa.apci13(tdb.jd1, tdb.jd2)
    ri, di = erfa.atciq(ra, dec, z, z, z, z, astrom)
    return ri, di


def horizontal(ri, di, era, lon_rad, lat_rad):
    """Altitude and azimuth (deg; azimuth N through E) over targets × times."""
    sin_alt, x, y = _hour_angle_terms(ri, di, era, lon_rad, lat_rad)
    alt = np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))
    az = np.degrees(np.arctan2(x, y)) % 360.0
    return alt, az


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk->ik", a, b)


def _hour_angle_terms(ri, di, era, lon_rad, lat_rad, *, azimuth: bool = True):
    """sin(alt) and the azimuth's (east, north) components over targets × times.

    With a = ERA + longitude, cos and sin of the hour angle a − ri expand into per-target
    times per-time factors, so each output is one (n, 3) × (3, T) matrix product (einsum: BLAS
    threads gain nothing at K = 3 and stall when the cores are busy).
    """
    a = era + lon_rad
    ca, sa = np.cos(a), np.sin(a)
    cr, sr = np.cos(ri), np.sin(ri)
    sd, cd = np.sin(di), np.cos(di)
    sl, cl = math.sin(lat_rad), math.cos(lat_rad)
    per_time = np.stack([ca, sa, np.ones_like(a)])
    # sin alt = sl sd + cl cd (ca cr + sa sr)
    sin_alt = _mm(np.stack([cl * cd * cr, cl * cd * sr, sl * sd], axis=1), per_time)
    if not azimuth:
        return sin_alt, None, None
    # east = -cd sin(a - ri) = -cd (sa cr - ca sr); north = sd cl - cd sl cos(a - ri)
    east = _mm(np.stack([cd * sr, -cd * cr, np.zeros_like(cd)], axis=1), per_time)
    north = _mm(np.stack([-sl * cd * cr, -sl * cd * sr, sd * cl], axis=1), per_time)
    return sin_alt, east, north


def _radec_from_altaz(alt_deg, az_deg, era, lon_rad, lat_rad):
    """Apparent (CIRS-like) RA/Dec in radians of alt/az directions at ERA ``era``."""
    a, z = np.radians(alt_deg), np.radians(az_deg)
    sl, cl = math.sin(lat_rad), math.cos(lat_rad)
    sd = np.sin(a) * sl + np.cos(a) * cl * np.cos(z)
    dec = np.arcsin(np.clip(sd, -1.0, 1.0))
    h = np.arctan2(-np.sin(z) * np.cos(a), np.sin(a) * cl - np.cos(a) * sl * np.cos(z))
    return era + lon_rad - h, dec


class Quantities:
    """Lazily computed arrays for a set of targets × the site's times.

    Keys: ``altitude``, ``azimuth``, ``airmass``, ``moon_separation``, ``sky_brightness``,
    ``above_horizon`` (targets × times) and ``sun_altitude``, ``moon_illumination`` (times).
    Only what some constraint asks for is computed.
    """

    def __init__(self, night: SiteNight, ri: np.ndarray, di: np.ndarray):
        self.night = night
        self.ri, self.di = ri, di
        lon, lat = math.radians(night.site.longitude), math.radians(night.site.latitude)
        sin_alt, _, _ = _hour_angle_terms(ri, di, night.era, lon, lat, azimuth=False)
        self._c: dict[str, np.ndarray] = {"sin_altitude": sin_alt}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._c:
            self._c[key] = self._compute(key)
        return self._c[key]

    def row(self, key: str, row: int) -> np.ndarray:
        """One target's values over the night, computing only that row when not cached."""
        n = self.night
        if key in self._c or key in ("sun_altitude", "moon_illumination", "sin_altitude"):
            v = self[key]
            return v if v.ndim == 1 else v[row]
        sin_alt = self["sin_altitude"][row]
        alt = np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))
        if key == "altitude":
            return alt
        if key == "airmass":
            with np.errstate(divide="ignore"):
                return np.where(sin_alt > 0, 1.0 / np.where(sin_alt > 0, sin_alt, 1.0), np.inf)
        if key in ("moon_separation", "sky_brightness"):
            if "cos_moon_separation" in self._c:
                c = self._c["cos_moon_separation"][row]
            else:
                mr, md = n.moon_radec
                ri, di = self.ri[row], self.di[row]
                c = np.sin(di) * np.sin(md) + np.cos(di) * np.cos(md) * np.cos(ri - mr)
            sep = np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))
            if key == "moon_separation":
                return sep
            return sky_brightness(alt, n.moon_alt, sep, n.moon_phase, n.sun_alt)
        if key in ("azimuth", "above_horizon"):
            sub = Quantities(n, self.ri[row : row + 1], self.di[row : row + 1])
            return sub[key][0]
        raise KeyError(key)

    def _compute(self, key: str) -> np.ndarray:
        n = self.night
        if key == "altitude":
            return np.degrees(np.arcsin(np.clip(self["sin_altitude"], -1.0, 1.0)))
        if key == "azimuth":
            lon, lat = math.radians(n.site.longitude), math.radians(n.site.latitude)
            _, east, north = _hour_angle_terms(self.ri, self.di, n.era, lon, lat)
            return np.degrees(np.arctan2(east, north)) % 360.0
        if key == "airmass":
            s = self["sin_altitude"]
            with np.errstate(divide="ignore"):
                return np.where(s > 0, 1.0 / np.where(s > 0, s, 1.0), np.inf)
        if key == "cos_moon_separation":
            mr, md = n.moon_radec
            cd = np.cos(self.di)
            tv = np.stack([cd * np.cos(self.ri), cd * np.sin(self.ri), np.sin(self.di)], axis=1)
            mv = np.stack([np.cos(md) * np.cos(mr), np.cos(md) * np.sin(mr), np.sin(md)])
            return _mm(tv, mv)
        if key == "moon_separation":
            return np.degrees(np.arccos(np.clip(self["cos_moon_separation"], -1.0, 1.0)))
        if key == "sky_brightness":
            return sky_brightness(
                self["altitude"],
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
            site = n.site
            if site.horizon is None:
                return self["sin_altitude"] >= math.sin(math.radians(site.min_altitude))
            return self["altitude"] >= site.horizon_altitude(self["azimuth"])
        raise KeyError(key)


@dataclass
class Ephemeris:
    """The Sun and Moon (geocentric CIRS vectors, km) and Earth rotation on a 10-minute grid.

    Computed once per planning grid with astropy and shared by every site: a site's view is
    then Earth rotation and the observer's offset (the Moon's parallax), in numpy.
    """

    tc_s: np.ndarray  # seconds from grid.t0
    sun: np.ndarray  # (n, 3)
    moon: np.ndarray  # (n, 3)
    era_unwrapped: np.ndarray  # radians, continuous (for interpolation)
    phase: np.ndarray  # Moon phase angle, degrees

    @classmethod
    def compute(cls, grid: TimeGrid) -> Ephemeris:
        from astropy.coordinates import CIRS

        span = grid.n * grid.step_s
        tc_s = np.arange(int(math.ceil(span / _COARSE_S)) + 2) * _COARSE_S
        tc = grid.t0 + tc_s * u.s
        frame = CIRS(obstime=tc)
        sun = get_sun(tc).transform_to(frame).cartesian.xyz.to_value(u.km).T
        moon = get_body("moon", tc).transform_to(frame).cartesian.xyz.to_value(u.km).T
        ut1 = tc.ut1
        era = np.unwrap(np.asarray(erfa.era00(ut1.jd1, ut1.jd2)))
        rs = np.linalg.norm(sun, axis=1)
        rm = np.linalg.norm(moon, axis=1)
        elong = np.arccos(np.clip(np.sum(sun * moon, axis=1) / (rs * rm), -1, 1))
        phase = np.degrees(np.arctan2(rs * np.sin(elong), rm - rs * np.cos(elong)))
        return cls(tc_s, sun, moon, era, phase)

    def site_altaz(self, site: Site, body: str, sel=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """Topocentric altitude and azimuth (deg) of ``"sun"`` or ``"moon"`` at ``site``."""
        vec = (self.sun if body == "sun" else self.moon)[sel]
        era = self.era_unwrapped[sel]
        loc = site.location
        x, y, z = (loc.x.to_value(u.km), loc.y.to_value(u.km), loc.z.to_value(u.km))
        # The observer in CIRS: the terrestrial position turned by the Earth rotation angle
        # (polar motion, a few metres, is ignored).
        obs = np.stack(
            [
                x * np.cos(era) - y * np.sin(era),
                x * np.sin(era) + y * np.cos(era),
                np.full_like(era, z),
            ],
            axis=1,
        )
        v = vec - obs
        ra = np.arctan2(v[:, 1], v[:, 0])
        dec = np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1]))
        lon, lat = math.radians(site.longitude), math.radians(site.latitude)
        h = era + lon - ra
        sl, cl = math.sin(lat), math.cos(lat)
        sd, cd = np.sin(dec), np.cos(dec)
        alt = np.degrees(np.arcsin(np.clip(sl * sd + cl * cd * np.cos(h), -1, 1)))
        az = np.degrees(np.arctan2(-cd * np.sin(h), sd * cl - cd * sl * np.cos(h))) % 360.0
        return alt, az


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
    def moon_radec(self) -> tuple[np.ndarray, np.ndarray]:
        """The Moon's topocentric apparent RA/Dec (radians) per time, from its alt/az."""
        if "moon_radec" not in self._rows:
            self._rows["moon_radec"] = _radec_from_altaz(
                self.moon_alt,
                self.moon_az,
                self.era,
                math.radians(self.site.longitude),
                math.radians(self.site.latitude),
            )
        return self._rows["moon_radec"]

    @property
    def moon_illumination(self) -> np.ndarray:
        return (1.0 + np.cos(np.radians(self.moon_phase))) / 2.0

    @property
    def moon_illumination_effective(self) -> np.ndarray:
        """Illumination, counting a Moon below the horizon as dark (as astroplan does)."""
        return np.where(self.moon_alt > 0, self.moon_illumination, 0.0)

    @classmethod
    def compute(cls, site: Site, grid: TimeGrid, eph: Ephemeris | None = None) -> SiteNight:
        """Sun, Moon and Earth rotation at ``site`` for the night inside ``grid``.

        ``eph`` (the grid's Sun and Moon, shared by every site) is computed if not given.
        """
        eph = eph or Ephemeris.compute(grid)
        lon = (site.longitude + 180) % 360 - 180
        h0 = grid.t0.datetime.hour + grid.t0.datetime.minute / 60.0
        noon_s = ((12.0 - lon / 15.0 - h0) % 24.0) * 3600.0
        day = (eph.tc_s >= noon_s - 1) & (eph.tc_s <= noon_s + 86400 + 1)
        tc_s = eph.tc_s[day]
        sun_alt_c, sun_az_c = eph.site_altaz(site, "sun", day)
        dark = np.nonzero(sun_alt_c < 0.0)[0]
        if len(dark) == 0:  # midsummer at high latitude: no night at all
            i0 = i1 = min(grid.n, int(noon_s / grid.step_s))
        else:
            i0 = max(0, int(math.ceil(tc_s[dark[0]] / grid.step_s)))
            i1 = min(grid.n, int(math.floor(tc_s[dark[-1]] / grid.step_s)) + 1)
        tf_s = np.arange(i0, i1) * grid.step_s
        sun_alt, _ = _interp_altaz(tc_s, sun_alt_c, sun_az_c, tf_s)
        moon_alt_c, moon_az_c = eph.site_altaz(site, "moon", day)
        moon_alt, moon_az = _interp_altaz(tc_s, moon_alt_c, moon_az_c, tf_s)
        phase = np.interp(tf_s, eph.tc_s, eph.phase)
        era = np.interp(tf_s, eph.tc_s, eph.era_unwrapped) % (2 * np.pi)
        mid = grid.time((i0 + i1) / 2)
        return cls(site, grid, i0, i1, sun_alt, moon_alt, moon_az, phase, era, mid)

    def times(self) -> Time:
        return self.grid.time(np.arange(self.i0, self.i1))

    def target_quantities(self, ra_deg, dec_deg) -> Quantities:
        """Quantities for targets at ICRS ``ra_deg``, ``dec_deg`` over this night."""
        ri, di = apparent_places(ra_deg, dec_deg, self.mid)
        return Quantities(self, ri, di)

    def set_targets(self, ra_deg, dec_deg) -> Quantities:
        """Compute and keep the quantities of the night's target list."""
        self.q = self.target_quantities(ra_deg, dec_deg)
        return self.q
