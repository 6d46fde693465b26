"""Why a request was not scheduled tonight.

Each unscheduled unit gets one reason, tested in the order a user would ask: is it allowed
(share used up)? can any telescope do it (no capable telescope)? is its window still open
(window passed)? is it ever observable with its constraints (never visible, with the constraint
that rules it out)? is its time taken by downtime (weather, maintenance)? Otherwise its time was
given to other blocks, named with their priority and owner (outranked).
"""

from __future__ import annotations

import numpy as np

from obshub.scheduler.constraints import ALL
from obshub.scheduler.plan import Unscheduled
from obshub.scheduler.problem import Problem, Unit


def _hhmm(p: Problem, i: int) -> str:
    return p.hhmm(i)


def _never_visible_detail(p: Problem, u: Unit, ks: np.ndarray) -> str:
    req = p.request(u)
    parts = []
    for site in sorted({p.site_of(int(k)) for k in ks}):
        sn = p.nights[site]
        if sn.n_times == 0:
            parts.append(f"{site}: no night (the Sun never sets)")
            continue
        q, row = p.site_quantities(u.req, site)
        lo = max(0, u.start_lo - sn.i0)
        hi = min(sn.n_times, max(u.end_hi, u.start_hi + u.length) - sn.i0)
        if hi <= lo:
            parts.append(f"{site}: its window does not overlap the night")
            continue
        failing = []
        horizon = q.row("above_horizon", row)[lo:hi]
        if not horizon.any():
            failing.append(
                f"never above the horizon (max altitude {q.row('altitude', row)[lo:hi].max():.1f}°)"
            )
        for cls in ALL:
            c = req.constraint(cls)
            if c is None:
                continue
            vals = q.row(cls.quantity, row)[lo:hi]
            if not c.ok(vals).any():
                finite = vals[np.isfinite(vals)]
                rng = f" (tonight {finite.min():.2f}–{finite.max():.2f})" if len(finite) else ""
                failing.append(f"{c.describe()} never holds{rng}")
        if failing:
            parts.append(f"{site}: " + "; ".join(failing))
        else:
            ok = p.ok[site][u.req, lo:hi]
            # the longest run of samples where everything holds
            d = np.diff(np.concatenate([[0], ok.astype(int), [0]]))
            runs = np.nonzero(d == -1)[0] - np.nonzero(d == 1)[0]
            run = int(runs.max()) if len(runs) else 0
            if run == 0:
                spans = []
                for cls in ALL:
                    c = req.constraint(cls)
                    if c is None:
                        continue
                    vals = q.row(cls.quantity, row)[lo:hi]
                    w = np.nonzero(c.ok(vals))[0]
                    if len(w) < hi - lo:
                        a, b = sn.i0 + lo + w[0], sn.i0 + lo + w[-1]
                        spans.append(f"{c.describe()} only {p.hhmm(a)}–{p.hhmm(b)}")
                parts.append(
                    f"{site}: its constraints never hold at the same time ("
                    + "; ".join(spans)
                    + ")"
                )
            else:
                parts.append(
                    f"{site}: constraints hold together for at most {p.minutes(run - 1):.0f} min, "
                    f"the block needs {p.minutes(u.length):.0f} min"
                )
    return "; ".join(parts)


def _window_text(p: Problem, u: Unit) -> str:
    return f"{p.hhmm(max(u.start_lo, 0))}–{p.hhmm(min(p.grid.n, u.start_hi + u.length))} UTC"


def occupancy(p: Problem, placements: dict) -> np.ndarray:
    """(n_telescopes, n_steps): the unit occupying each step, −1 where free."""
    owner = np.full((len(p.telescopes), p.grid.n), -1, dtype=np.int64)
    for oi, pl in placements.items():
        for k in pl.telescopes:
            owner[k, pl.start : pl.start + p.units[oi].length] = oi
    return owner


def explain_unit(p: Problem, ui: int, placements: dict, owner: np.ndarray) -> Unscheduled:
    """The reason unit ``ui`` has no placement, given the others' ``placements``."""
    u = p.units[ui]
    req = p.request(u)

    def out(reason: str, msg: str) -> Unscheduled:
        return Unscheduled(
            u.uid, req.id, reason, msg, req.target.name, req.owner, req.program, float(req.priority)
        )

    if u.excluded is not None:
        return out(*u.excluded)
    ks = np.nonzero(p.capable[u.req])[0]
    if len(ks) == 0:
        return out(
            "no_capable_telescope", "no capable telescope: " + "; ".join(p.incapable_why[u.req])
        )
    if len(ks) < req.together:
        return out(
            "no_capable_telescope", f"needs {req.together} telescopes at once; {len(ks)} can do it"
        )
    if u.end_hi <= p.now_idx or u.start_hi <= p.now_idx:
        return out(
            "window_passed", f"its window closed at {_hhmm(p, min(u.end_hi, u.start_hi))} UTC"
        )
    if u.start_lo >= p.grid.n:
        return out("window_passed", "its window opens after tonight")
    # Starts honouring constraints and window, before "now" and downtime are taken out.
    raw_any = False
    after_now = False
    for k in ks:
        site = p.site_of(int(k))
        sn = p.nights[site]
        lo, hi = max(u.start_lo, sn.i0), min(u.start_hi, sn.i1, u.end_hi - u.length + 1)
        if hi <= lo:
            continue
        js = np.nonzero(p.starts[site][u.req, lo - sn.i0 : hi - sn.i0])[0] + lo
        if len(js):
            raw_any = True
            after_now |= bool((js >= p.now_idx).any())
    if not raw_any:
        anywhere = any(
            p.starts[p.site_of(int(k))][u.req].any() for k in ks
        )  # observable tonight, just not inside this unit's window or visit slot
        if anywhere and (u.visit is not None or req.window is not None):
            return out(
                "never_visible",
                f"not observable within its window {_window_text(p, u)} (it is observable at other times tonight)",
            )
        return out("never_visible", "never observable tonight: " + _never_visible_detail(p, u, ks))
    if not after_now:
        return out(
            "window_passed", f"it was observable only before now ({_hhmm(p, p.now_idx)} UTC)"
        )
    free_starts = {int(k): p.unit_starts(u, int(k)) for k in ks}
    if not any(len(v) for v in free_starts.values()):
        reasons = sorted({d.reason for k in ks for d in p.busy_reason[int(k)]}) or ["maintenance"]
        what = "weather" if "weather" in reasons else reasons[0]
        return out(
            "weather" if what == "weather" else "unavailable",
            f"observable only while its telescopes are closed ({', '.join(reasons)})",
        )
    # Outranked: who holds the time it could have used?
    blockers: dict[int, int] = {}
    for k, js in free_starts.items():
        if len(js) == 0:
            continue
        need = np.zeros(p.grid.n + u.length + 1, dtype=int)
        np.add.at(need, js, 1)
        np.add.at(need, js + u.length, -1)
        span = np.cumsum(need)[: p.grid.n] > 0
        for oi in np.unique(owner[k][span]):
            if oi >= 0:
                blockers.setdefault(int(oi), k)
    if not blockers:
        return out(
            "outranked",
            "its feasible time is fragmented by other blocks (no gap of "
            f"{p.minutes(u.length):.0f} min left)",
        )
    top = sorted(blockers, key=lambda oi: -p.units[oi].weight)[:3]
    names = []
    for oi in top:
        o = p.units[oi]
        r = p.request(o)
        names.append(
            f"{o.uid} (priority {r.priority:g}, {r.owner}/{r.program}) on "
            f"{p.telescopes[blockers[oi]].id} at {_hhmm(p, placements[oi].start)}"
        )
    more = f" and {len(blockers) - len(top)} more" if len(blockers) > len(top) else ""
    return out("outranked", "outranked by " + ", ".join(names) + more)


def explain(p: Problem, placements: dict) -> list[Unscheduled]:
    """Explanations for every unit without a placement."""
    owner = occupancy(p, placements)
    return [
        explain_unit(p, ui, placements, owner) for ui in range(len(p.units)) if ui not in placements
    ]
