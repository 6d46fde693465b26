"""An independent plan checker: recomputes every constraint with astropy's full transforms.

Nothing here uses the scheduler's grid, masks or numpy shortcuts: each block is sampled from its
start to its end, and the target, Sun and Moon are transformed to AltAz by astropy. A plan passes
when, for every block, every constraint of its request holds at every sample (within small
tolerances for sampling between grid points), the target is above the site's horizon, no
telescope does two things at once, the transition (slew + settle + filter) fits before each
block's exposures, the telescope can do it and is not down, the window and cadence are met,
and the blocks of a *together* request start at the same time on distinct telescopes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.coordinates import AltAz, SkyCoord, get_body, get_sun
from astropy.time import Time

from obshub.scheduler.constraints import (
    AirmassConstraint,
    AltitudeConstraint,
    AtNightConstraint,
    MoonIlluminationConstraint,
    MoonSeparationConstraint,
    SkyBrightnessConstraint,
)
from obshub.scheduler.plan import Plan, PlanEntry
from obshub.scheduler.requests import Request
from obshub.scheduler.sky import sky_brightness
from obshub.scheduler.telescopes import Telescope
from obshub.scheduler.visibility import moon_phase_angle

#: Tolerances: what a 1-minute grid and 10-minute Sun/Moon interpolation may miss between samples.
TOLERANCE = {
    AltitudeConstraint: 0.05,  # deg
    AirmassConstraint: 0.005,
    MoonSeparationConstraint: 0.2,  # deg
    MoonIlluminationConstraint: 0.01,
    AtNightConstraint: 0.2,  # deg
    SkyBrightnessConstraint: 0.05,  # mag
}
TIME_TOL_S = 1.0


@dataclass(frozen=True)
class Violation:
    unit: str
    telescope: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.unit} on {self.telescope}: [{self.kind}] {self.message}"


def _samples(e: PlanEntry, step_s: float) -> np.ndarray:
    span = (e.end - e.start).to_value(u.s)
    n = max(2, int(np.ceil(span / step_s)) + 1)
    return np.linspace(0.0, span, n)


def validate_plan(
    plan: Plan,
    requests: Iterable[Request],
    telescopes: Iterable[Telescope],
    *,
    sample_s: float = 300.0,
) -> list[Violation]:
    """Every violation found in ``plan`` (empty when the plan is valid).

    Parameters
    ----------
    requests, telescopes
        The requests the plan's entries refer to and the telescopes they run on.
    sample_s
        Constraint samples per block: both ends and every ``sample_s`` seconds between.
    """
    reqs = {r.id: r for r in requests}
    tels = {t.id: t for t in telescopes}
    out: list[Violation] = []
    entries = [e for e in plan.entries if e.state != "failed"]
    by_site: dict[str, list[PlanEntry]] = defaultdict(list)
    for e in entries:
        r, t = reqs.get(e.request), tels.get(e.telescope)
        if r is None or t is None:
            out.append(Violation(e.unit, e.telescope, "unknown", "unknown request or telescope"))
            continue
        why = t.can_do(r.instrument, r.filters)
        if why:
            out.append(Violation(e.unit, t.id, "capability", why))
        need = e.setup_s + r.duration_s
        if (e.end - e.start).to_value(u.s) < need - TIME_TOL_S:
            out.append(Violation(e.unit, t.id, "duration", f"block shorter than {need:.0f} s"))
        for d in t.downtime:
            if e.start < d.end and e.end > d.start:
                out.append(Violation(e.unit, t.id, "downtime", f"overlaps {d.reason} downtime"))
        if r.window is not None and r.cadence is None:
            if (e.start - r.window[0]).to_value(u.s) < -TIME_TOL_S or (
                e.end - r.window[1]
            ).to_value(u.s) > TIME_TOL_S:
                out.append(Violation(e.unit, t.id, "window", "outside the request's window"))
        by_site[t.site.name].append(e)
    out += _check_sky(by_site, reqs, tels, sample_s)
    out += _check_sequences(entries, reqs, tels)
    out += _check_cadence_and_groups(entries, reqs)
    return out


def _check_sky(by_site, reqs, tels, sample_s) -> list[Violation]:
    out = []
    for entries in by_site.values():
        site = tels[entries[0].telescope].site
        offs, idx = [], []
        for i, e in enumerate(entries):
            s = _samples(e, sample_s)
            offs.append((e.start.jd, s))
            idx.append(np.full(len(s), i))
        idx = np.concatenate(idx)
        jd = np.concatenate([np.full(len(s), jd0) for jd0, s in offs])
        secs = np.concatenate([s for _, s in offs])
        times = Time(jd, format="jd", scale="utc") + secs * u.s
        ra = np.array([entries[i].ra for i in idx])
        dec = np.array([entries[i].dec for i in idx])
        frame = AltAz(obstime=times, location=site.location)
        target = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").transform_to(frame)
        sun = get_sun(times).transform_to(frame)
        moon = get_body("moon", times, location=site.location).transform_to(frame)
        alt = target.alt.deg
        az = target.az.deg
        moon_sep = target.separation(moon).deg
        phase = moon_phase_angle(times)
        illum = np.where(moon.alt.deg > 0, (1 + np.cos(np.radians(phase))) / 2, 0.0)
        values = {
            "altitude": alt,
            "airmass": np.where(alt > 0, 1 / np.sin(np.radians(np.maximum(alt, 1e-6))), np.inf),
            "moon_separation": moon_sep,
            "moon_illumination": illum,
            "sun_altitude": sun.alt.deg,
            "sky_brightness": sky_brightness(alt, moon.alt.deg, moon_sep, phase, sun.alt.deg),
        }
        horizon_ok = alt >= site.horizon_altitude(az) - TOLERANCE[AltitudeConstraint]
        for i, e in enumerate(entries):
            sel = idx == i
            if not horizon_ok[sel].all():
                out.append(
                    Violation(
                        e.unit,
                        e.telescope,
                        "horizon",
                        f"below the horizon (min alt {alt[sel].min():.2f}°)",
                    )
                )
            for c in reqs[e.request].constraints:
                v = values[c.quantity][sel]
                bad = ~c.ok(v, TOLERANCE[type(c)])
                if bad.any():
                    t_bad = times[sel][bad][0].isot[11:19]
                    out.append(
                        Violation(
                            e.unit,
                            e.telescope,
                            type(c).__name__,
                            f"{c.describe()} fails at {t_bad} ({c.quantity} = {v[bad][0]:.3f})",
                        )
                    )
    return out


def _check_sequences(entries, reqs, tels) -> list[Violation]:
    out = []
    per_tel: dict[str, list[PlanEntry]] = defaultdict(list)
    for e in entries:
        if e.telescope in tels:
            per_tel[e.telescope].append(e)
    for tid, es in per_tel.items():
        t = tels[tid]
        es.sort(key=lambda e: e.start.jd)
        for a, b in zip(es, es[1:], strict=False):
            gap = (b.start - a.end).to_value(u.s)
            if gap < -TIME_TOL_S:
                out.append(
                    Violation(b.unit, tid, "overlap", f"starts {-gap:.0f} s before {a.unit} ends")
                )
                continue
            sep = (
                SkyCoord(a.ra * u.deg, a.dec * u.deg)
                .separation(SkyCoord(b.ra * u.deg, b.dec * u.deg))
                .deg
            )
            need = sep / t.slew_rate + t.settle_s + t.filter_change_s
            if gap + b.setup_s < need - TIME_TOL_S:
                out.append(
                    Violation(
                        b.unit,
                        tid,
                        "transition",
                        f"{sep:.1f}° slew from {a.unit} needs {need:.0f} s, has {gap + b.setup_s:.0f} s",
                    )
                )
    return out


def _check_cadence_and_groups(entries, reqs) -> list[Violation]:
    out = []
    visits: dict[str, list[PlanEntry]] = defaultdict(list)
    groups: dict[str, list[PlanEntry]] = defaultdict(list)
    for e in entries:
        if e.visit is not None:
            visits[e.request].append(e)
        if e.group:
            groups[e.group].append(e)
    for rid, es in visits.items():
        r = reqs.get(rid)
        if r is None or r.cadence is None:
            continue
        c = r.cadence
        slack = c.tolerance_s + 60.0 + TIME_TOL_S  # one grid step of rounding
        if r.window is not None:
            for e in es:
                centre = r.window[0] + e.visit * c.period_s * u.s
                off = (e.start - centre).to_value(u.s)
                if abs(off) > slack:
                    out.append(
                        Violation(
                            e.unit,
                            e.telescope,
                            "cadence",
                            f"visit starts {off / 60:+.1f} min off its time",
                        )
                    )
        es = sorted(es, key=lambda e: e.visit)
        for a, b in zip(es, es[1:], strict=False):
            dt = (b.start - a.start).to_value(u.s)
            want = (b.visit - a.visit) * c.period_s
            if abs(dt - want) > 2 * slack:
                out.append(
                    Violation(
                        b.unit,
                        b.telescope,
                        "cadence",
                        f"{dt / 60:.1f} min after visit {a.visit + 1}, wanted {want / 60:.1f}",
                    )
                )
    for gid, es in groups.items():
        r = reqs.get(es[0].request)
        starts = {e.start.isot for e in es}
        tel = {e.telescope for e in es}
        if len(starts) > 1 or len(tel) != len(es) or (r is not None and len(es) != r.together):
            out.append(
                Violation(
                    gid,
                    ",".join(sorted(tel)),
                    "together",
                    "blocks do not start together on distinct telescopes",
                )
            )
    return out
