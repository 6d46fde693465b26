"""A night's scheduling problem: units to place, telescopes, and where each unit may start.

A request becomes one *unit* (a block to place), or one per visit for a cadence. For every site
the problem holds, per request, a boolean over the site's night grid: may a block of this length
start here with every constraint met from its start to its end? Both planners and the
explainer read these arrays; they are computed once per night, vectorised over requests × times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.time import Time

from obshub.scheduler.constraints import combined_mask
from obshub.scheduler.fairshare import FairShare
from obshub.scheduler.requests import Request
from obshub.scheduler.telescopes import Downtime, Telescope
from obshub.scheduler.visibility import Ephemeris, Quantities, SiteNight, TimeGrid


@dataclass
class Unit:
    """One block to place: a request, or one visit of a cadence request."""

    uid: str
    req: int  # index into Problem.requests
    visit: int | None
    start_lo: int  # allowed start indices on the global grid: [start_lo, start_hi)
    start_hi: int
    end_hi: int  # the block must end by this index
    length: int  # grid steps, acquisition included
    value: float  # priority × requested minutes (what plans are scored on)
    weight: float  # value × fair-share factor (what planners maximise)
    excluded: tuple[str, str] | None = None  # (reason, message) when never eligible


def _runs_ok(ok: np.ndarray, length: int) -> np.ndarray:
    """For each start j: are ok[j..j+length] (length+1 samples) all True? False where it overruns."""
    n = ok.shape[-1]
    c = np.zeros(ok.shape[:-1] + (n + 1,), dtype=np.int32)
    np.cumsum(ok, axis=-1, out=c[..., 1:])
    out = np.zeros(ok.shape, dtype=bool)
    m = n - length
    if m > 0:
        out[..., :m] = (c[..., length + 1 : n + 1] - c[..., :m]) == length + 1
    return out


@dataclass
class Problem:
    """Requests × telescopes for one night, with feasibility precomputed.

    Parameters
    ----------
    requests, telescopes
        What to schedule and where.
    night
        The night (local evening date) to plan, ``YYYY-MM-DD``.
    fairshare
        Programs' shares; plain priorities if None.
    now
        Nothing starts before this (defaults to the start of the grid).
    step_s
        Grid step; one minute resolves 5-minute blocks well and keeps arrays small.
    """

    requests: list[Request]
    telescopes: list[Telescope]
    night: str
    fairshare: FairShare = field(default_factory=FairShare)
    now: Time | None = None
    step_s: float = 60.0

    def __post_init__(self) -> None:
        sites = {}
        for t in self.telescopes:
            sites.setdefault(t.site.name, t.site)
        self.grid = TimeGrid.for_night(self.night, list(sites.values()), self.step_s)
        # Sun and Moon once for the whole network; each site adds only Earth rotation.
        self.ephemeris = Ephemeris.compute(self.grid)
        self.nights: dict[str, SiteNight] = {
            n: SiteNight.compute(s, self.grid, self.ephemeris) for n, s in sites.items()
        }
        self.tel_index = {t.id: k for k, t in enumerate(self.telescopes)}
        self.setup_s = max(t.setup_s for t in self.telescopes)
        self.now_idx = 0 if self.now is None else max(0, self.grid.index_ceil(self.now))
        self.units: list[Unit] = []
        self.req_index: dict[str, int] = {}
        self.capable = np.zeros((0, len(self.telescopes)), dtype=bool)
        self.incapable_why: list[list[str]] = []
        # per site: starts[site] is (n_requests, n_site_times) bool; ok[site] the sample mask
        self.starts: dict[str, np.ndarray] = {
            n: np.zeros((0, sn.n_times), dtype=bool) for n, sn in self.nights.items()
        }
        self.ok: dict[str, np.ndarray] = {
            n: np.zeros((0, sn.n_times), dtype=bool) for n, sn in self.nights.items()
        }
        self.quantities: dict[str, list[Quantities]] = {n: [] for n in self.nights}
        self._row_of_req: dict[str, list[tuple[int, int]]] = {n: [] for n in self.nights}
        self.static_busy = np.zeros((len(self.telescopes), self.grid.n), dtype=bool)
        self.busy_reason: dict[int, list[Downtime]] = {k: [] for k in range(len(self.telescopes))}
        for k, t in enumerate(self.telescopes):
            for d in t.downtime:
                self.add_downtime(k, d)
        self.add_requests(self.requests, _initial=True)

    # ------------------------------------------------------------------ building

    def setup_for(self, req: Request) -> float:
        """The acquisition slot of ``req``'s blocks (seconds), the same on every telescope.

        The previous target may be anywhere above the site's minimum altitude, this one is above
        the request's own altitude floor, so the slew is at most 180° minus both.
        """
        from obshub.scheduler.requests import _min_altitude

        floor = _min_altitude(req)
        return max(
            (180.0 - t.site.min_altitude - max(floor, t.site.min_altitude)) / t.slew_rate
            + t.settle_s
            + t.filter_change_s
            for t in self.telescopes
        )

    def length_of(self, req: Request) -> int:
        return int(math.ceil((self.setup_for(req) + req.duration_s) / self.step_s - 1e-9))

    def add_downtime(self, k: int, d: Downtime) -> None:
        a = max(0, self.grid.index(d.start))
        b = min(self.grid.n, self.grid.index_ceil(d.end))
        if b > a:
            self.static_busy[k, a:b] = True
            self.busy_reason[k].append(d)

    def add_requests(self, requests: list[Request], *, _initial: bool = False) -> list[Unit]:
        """Add requests (all of tonight's, or an urgent one mid-night); returns their units.

        Each site's observability is computed for the new targets only, so adding one request
        costs a single target row per site.
        """
        if not _initial:
            self.requests = self.requests + list(requests)
        base = len(self.req_index)
        new_reqs = list(requests)
        for i, r in enumerate(new_reqs):
            if r.id in self.req_index:
                raise ValueError(f"duplicate request id {r.id!r}")
            self.req_index[r.id] = base + i
        # capability
        cap = np.zeros((len(new_reqs), len(self.telescopes)), dtype=bool)
        for i, r in enumerate(new_reqs):
            why = []
            for k, t in enumerate(self.telescopes):
                if r.telescopes and t.id not in r.telescopes:
                    why.append(f"{t.id}: not among the request's telescopes")
                    continue
                w = t.can_do(r.instrument, r.filters)
                if w is None:
                    cap[i, k] = True
                else:
                    why.append(f"{t.id}: {w}")
            self.incapable_why.append(why)
        self.capable = np.vstack([self.capable, cap])
        # observability per site for the new targets (one row per distinct target)
        targets = {}
        for r in new_reqs:
            targets.setdefault((r.target.ra, r.target.dec), len(targets))
        ra = np.array([k[0] for k in targets])
        dec = np.array([k[1] for k in targets])
        rows = np.array([targets[(r.target.ra, r.target.dec)] for r in new_reqs], dtype=int)
        lengths = np.array([self.length_of(r) for r in new_reqs])
        for name, sn in self.nights.items():
            T = sn.n_times
            if T == 0 or not new_reqs:
                ok = np.zeros((len(new_reqs), T), dtype=bool)
                st = ok.copy()
            else:
                q = sn.target_quantities(ra, dec)
                self.quantities[name].append(q)
                ok = combined_mask(q, rows, [r.constraints for r in new_reqs], T)
                ok &= q["above_horizon"][rows]
                for i, r in enumerate(new_reqs):
                    if r.window is not None:
                        a = self.grid.index_ceil(r.window[0]) - sn.i0
                        if r.cadence is None:
                            b = self.grid.index(r.window[1]) - sn.i0 + 1
                            ok[i, : max(0, a)] = False
                            ok[i, max(0, b) :] = False
                st = np.zeros_like(ok)
                for L in np.unique(lengths):
                    sel = lengths == L
                    st[sel] = _runs_ok(ok[sel], int(L))
            self.ok[name] = np.vstack([self.ok[name], ok])
            self.starts[name] = np.vstack([self.starts[name], st])
            self._row_of_req[name].extend(
                (len(self.quantities[name]) - 1, int(rows[i])) for i in range(len(new_reqs))
            )
        units = []
        for i, r in enumerate(new_reqs):
            units += self._units_for(base + i, r, int(lengths[i]))
        self.units += units
        return units

    def _units_for(self, ri: int, r: Request, length: int) -> list[Unit]:
        minutes = r.duration_s / 60.0
        value = r.priority * minutes
        weight = value * self.fairshare.factor(r.program)
        n = self.grid.n
        out = []
        excluded = None
        share = self.fairshare.exhausted(r.program, r.duration_s / 3600.0)
        if share:
            excluded = ("share_used_up", share)
        if r.cadence is None:
            lo, hi, end_hi = self.now_idx, n, n
            if r.window is not None:
                lo = max(lo, self.grid.index_ceil(r.window[0]))
                end_hi = min(n, self.grid.index(r.window[1]))
                hi = max(lo, end_hi - length + 1)
            out.append(Unit(r.id, ri, None, lo, hi, end_hi, length, value, weight, excluded))
            return out
        c = r.cadence
        if r.window is not None:
            anchor = self.grid.index_ceil(r.window[0])
        else:
            anchor = self._first_start(ri)
        p, tol = c.period_s / self.step_s, c.tolerance_s / self.step_s
        for v in range(c.visits):
            centre = anchor + v * p
            lo = max(self.now_idx, int(math.ceil(centre - tol)))
            hi = min(n, int(math.floor(centre + tol)) + 1)
            out.append(
                Unit(f"{r.id}#v{v + 1}", ri, v, lo, max(lo, hi), n, length, value, weight, excluded)
            )
        return out

    def _first_start(self, ri: int) -> int:
        best = self.grid.n
        for name, sn in self.nights.items():
            ks = np.nonzero(self.capable[ri] & self.site_mask(name))[0]
            if len(ks) == 0:
                continue
            js = np.nonzero(self.starts[name][ri])[0]
            js = js[js + sn.i0 >= self.now_idx]
            if len(js):
                best = min(best, int(js[0]) + sn.i0)
        return best if best < self.grid.n else self.now_idx

    # ------------------------------------------------------------------ queries

    def site_mask(self, site_name: str) -> np.ndarray:
        return np.array([t.site.name == site_name for t in self.telescopes])

    def site_of(self, k: int) -> str:
        return self.telescopes[k].site.name

    def request(self, u: Unit) -> Request:
        return self.requests[u.req]

    def unit_starts(self, u: Unit, k: int) -> np.ndarray:
        """Global grid indices where ``u`` may start on telescope ``k`` (ignoring other blocks,
        honouring its window, visit range, ``now`` and downtime)."""
        site = self.site_of(k)
        sn = self.nights[site]
        lo = max(u.start_lo, sn.i0, self.now_idx)
        hi = min(u.start_hi, sn.i1, u.end_hi - u.length + 1)
        if hi <= lo or not self.capable[u.req, k]:
            return np.zeros(0, dtype=int)
        st = self.starts[site][u.req, lo - sn.i0 : hi - sn.i0]
        js = np.nonzero(st)[0] + lo
        if len(js) and self.static_busy[k].any():
            free = ~self.static_busy[k]
            c = np.concatenate([[0], np.cumsum(free)])
            js = js[c[js + u.length] - c[js] == u.length]
        return js

    def start_counts(self, units: list[int]) -> np.ndarray:
        """For each unit, its candidate starts summed over capable telescopes (downtime ignored):
        a scarcity measure for ordering."""
        out = np.zeros(len(units), dtype=np.int64)
        if not units:
            return out
        ua = [self.units[i] for i in units]
        req = np.array([un.req for un in ua])
        lo = np.array([un.start_lo for un in ua])
        hi = np.minimum(
            np.array([un.start_hi for un in ua]),
            np.array([un.end_hi - un.length + 1 for un in ua]),
        )
        lo = np.maximum(lo, self.now_idx)
        for site, sn in self.nights.items():
            ntel = (self.capable[req] & self.site_mask(site)[None, :]).sum(axis=1)
            if not ntel.any() or sn.n_times == 0:
                continue
            cs = np.zeros((self.starts[site].shape[0], sn.n_times + 1), dtype=np.int32)
            np.cumsum(self.starts[site], axis=1, out=cs[:, 1:])
            a = np.clip(lo - sn.i0, 0, sn.n_times)
            b = np.clip(hi - sn.i0, 0, sn.n_times)
            b = np.maximum(a, b)
            out += ntel * (cs[req, b] - cs[req, a])
        return out

    def hhmm(self, i: int) -> str:
        """Grid index → ``HH:MM`` UTC, without building a Time."""
        from datetime import timedelta

        if not hasattr(self, "_t0_dt"):
            self._t0_dt = self.grid.t0.utc.datetime
        return (self._t0_dt + timedelta(seconds=float(i) * self.step_s)).strftime("%H:%M")

    def altitude(self, u: Unit, k: int, i) -> np.ndarray:
        """Target altitude (deg) of ``u`` at global indices ``i`` at telescope ``k``'s site."""
        site = self.site_of(k)
        sn = self.nights[site]
        qi, row = self._row_of_req[site][u.req]
        s = self.quantities[site][qi]["sin_altitude"][row, np.asarray(i) - sn.i0]
        return np.degrees(np.arcsin(np.clip(s, -1.0, 1.0)))

    def site_quantities(self, ri: int, site: str) -> tuple[Quantities, int]:
        qi, row = self._row_of_req[site][ri]
        return self.quantities[site][qi], row

    def time(self, i) -> Time:
        return self.grid.time(i)

    def minutes(self, steps: int) -> float:
        return steps * self.step_s / 60.0

    def horizon(self) -> tuple[Time, Time]:
        return self.grid.t0, self.grid.t0 + self.grid.n * self.step_s * u.s
