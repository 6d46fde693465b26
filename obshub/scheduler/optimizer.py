"""The slow tier: an OR-Tools CP-SAT interval model that improves the dispatcher's plan.

One optional fixed-size interval per (unit, capable telescope) whose start domain is exactly the
starts where the unit is observable; at most one of a unit's intervals is present; no two
intervals on one telescope overlap; maximise Σ weight over present intervals. The dispatcher's
plan is the hint (warm start), so the solver starts from a good solution and any answer within
the time limit is at least as good. Together requests and locked placements (running, done)
enter as fixed intervals. CP-SAT releases the GIL: run it in a thread (:func:`optimize_async`)
and the event loop keeps going.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from obshub.scheduler.dispatcher import Placement
from obshub.scheduler.problem import Problem


def _domain_from_starts(js: np.ndarray):
    from ortools.sat.python import cp_model

    brk = np.nonzero(np.diff(js) != 1)[0]
    lo = np.concatenate([js[[0]], js[brk + 1]])
    hi = np.concatenate([js[brk], js[[-1]]])
    return cp_model.Domain.FromIntervals([[int(a), int(b)] for a, b in zip(lo, hi, strict=True)])


def optimize(
    problem: Problem,
    hint: list[Placement],
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    locked: set[int] | None = None,
    units: list[int] | None = None,
    only: set[int] | None = None,
) -> tuple[list[Placement], dict]:
    """Improve ``hint`` within ``time_limit`` seconds.

    Parameters
    ----------
    hint
        A feasible plan (the dispatcher's); returned unchanged if the solver finds nothing better.
    locked
        Units whose hint placement must stay as it is.
    units
        The units to consider (all by default).
    only
        Re-plan only these telescopes: units placed elsewhere keep their placement and stay out
        of the model.

    Returns
    -------
    placements, stats
        ``stats`` has the solver status, objective, bound and wall time.
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    p = problem
    locked = set(locked or ())
    by_unit = {pl.unit: pl for pl in hint}
    for pl in hint:
        if len(pl.telescopes) > 1:
            locked.add(pl.unit)  # together blocks stay where the dispatcher put them
    m = cp_model.CpModel()
    per_tel: dict[int, list] = {k: [] for k in range(len(p.telescopes))}
    choices: dict[int, list[tuple[int, object, object]]] = {}
    obj = []
    scale = 100.0
    elsewhere = set()
    if only is not None:
        elsewhere = {pl.unit for pl in hint if not set(pl.telescopes) & only}
        locked |= {pl.unit for pl in hint if set(pl.telescopes) - only and pl.unit not in elsewhere}
    for ui in locked:
        pl = by_unit[ui]
        L = p.units[ui].length
        for k in pl.telescopes:
            if only is None or k in only:
                per_tel[k].append(m.NewFixedSizeIntervalVar(pl.start, L, f"fix{ui}_{k}"))
    idx = range(len(p.units)) if units is None else units
    for ui in idx:
        u = p.units[ui]
        if ui in locked or ui in elsewhere or u.excluded is not None or p.request(u).together > 1:
            continue
        opts = []
        for k in np.nonzero(p.capable[u.req])[0]:
            if only is not None and int(k) not in only:
                continue
            js = p.unit_starts(u, int(k))
            if len(js) == 0:
                continue
            x = m.NewBoolVar(f"x{ui}_{k}")
            s = m.NewIntVarFromDomain(_domain_from_starts(js), f"s{ui}_{k}")
            iv = m.NewOptionalFixedSizeIntervalVar(s, u.length, x, f"i{ui}_{k}")
            per_tel[int(k)].append(iv)
            opts.append((int(k), x, s))
            obj.append(int(round(u.weight * scale)) * x)
        if not opts:
            continue
        if len(opts) > 1:
            m.AddAtMostOne(x for _, x, _ in opts)
        choices[ui] = opts
        pl = by_unit.get(ui)
        for k, x, s in opts:
            if pl is not None and pl.telescopes[0] == k:
                m.AddHint(x, 1)
                m.AddHint(s, pl.start)
            else:
                m.AddHint(x, 0)
    for ivs in per_tel.values():
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    m.Maximize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    status = solver.Solve(m)
    stats = {
        "status": solver.StatusName(status),
        "seconds": time.perf_counter() - t0,
        "intervals": sum(len(v) for v in per_tel.values()),
    }
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(hint), stats
    stats["objective"] = solver.ObjectiveValue() / scale
    stats["bound"] = solver.BestObjectiveBound() / scale
    out = [by_unit[ui] for ui in locked] + [by_unit[ui] for ui in elsewhere]
    for ui, opts in choices.items():
        for k, x, s in opts:
            if solver.Value(x):
                out.append(Placement(ui, (k,), int(solver.Value(s))))
                break
    # Units outside the model (together, or not in `units`) keep their hint placement.
    placed = {pl.unit for pl in out}
    out += [pl for pl in hint if pl.unit not in placed and pl.unit not in choices]
    return out, stats


def optimize_decomposed(
    problem: Problem,
    hint: list[Placement],
    *,
    time_limit: float = 10.0,
    locked: set[int] | None = None,
    rounds: int = 3,
    candidates: int | None = 100,
) -> tuple[list[Placement], dict]:
    """Large networks: re-optimise one telescope at a time, the others held fixed.

    ``candidates`` bounds the unplaced units offered to each telescope's model (the densest in
    weight per step that can start there): the rest could only fill crumbs and would slow the
    solver down.

    One CP-SAT model over every unit and telescope stops scaling at a few thousand intervals
    (presolve alone eats the time limit); a telescope's own model has a few hundred and solves
    to optimality in well under a second. Each step can only improve the plan (the current
    placements are its hint), and units freed on one telescope are candidates on the next.
    """
    t0 = time.perf_counter()
    current = list(hint)
    n = len(problem.telescopes)
    per = time_limit / max(1, n)
    steps = []
    for _ in range(rounds):
        start_round = _weight(problem, current)
        for k in range(n):
            if time.perf_counter() - t0 > time_limit:
                break
            before = _weight(problem, current)
            units = None
            if candidates is not None:
                placed = {pl.unit: pl for pl in current}
                mine = [ui for ui, pl in placed.items() if k in pl.telescopes]
                free = [
                    ui
                    for ui, un in enumerate(problem.units)
                    if ui not in placed
                    and problem.capable[un.req, k]
                    and un.excluded is None
                    and len(problem.unit_starts(un, k))
                ]
                free.sort(key=lambda ui: -problem.units[ui].weight / problem.units[ui].length)
                units = mine + free[:candidates]
            better, st = optimize(
                problem, current, time_limit=per, locked=locked, only={k}, units=units
            )
            if _weight(problem, better) > before + 1e-9:
                current = better
            steps.append(st["status"])
        if _weight(problem, current) <= start_round + 1e-9 or time.perf_counter() - t0 > time_limit:
            break  # a full round without gain: every telescope is locally optimal
    stats = {
        "status": "decomposed",
        "steps": steps,
        "seconds": time.perf_counter() - t0,
        "objective": _weight(problem, current),
    }
    return current, stats


def _weight(problem: Problem, placements: list[Placement]) -> float:
    return float(sum(problem.units[pl.unit].weight for pl in placements))


def optimize_auto(
    problem: Problem,
    hint: list[Placement],
    *,
    time_limit: float = 10.0,
    locked: set[int] | None = None,
    max_intervals: int = 1500,
) -> tuple[list[Placement], dict]:
    """The whole model when it is small, one telescope at a time when it is not."""
    pairs = 0
    for u in problem.units:
        pairs += int(problem.capable[u.req].sum())
    if pairs <= max_intervals or len(problem.telescopes) == 1:
        return optimize(problem, hint, time_limit=time_limit, locked=locked)
    return optimize_decomposed(problem, hint, time_limit=time_limit, locked=locked)


async def optimize_async(
    problem: Problem, hint: list[Placement], **kw
) -> tuple[list[Placement], dict]:
    """:func:`optimize_auto` in a worker thread: the event loop (service, executor) keeps running."""
    return await asyncio.to_thread(optimize_auto, problem, hint, **kw)
