"""Planning a night end to end: problem → dispatcher → optimiser → explained :class:`Plan`."""

from __future__ import annotations

import time

import astropy.units as u
from astropy.time import Time

from obshub.scheduler.dispatcher import Placement, best_dispatch
from obshub.scheduler.explain import explain
from obshub.scheduler.fairshare import FairShare
from obshub.scheduler.plan import Plan, PlanEntry
from obshub.scheduler.problem import Problem
from obshub.scheduler.requests import Request
from obshub.scheduler.telescopes import Telescope


def plan_value(problem: Problem, placements) -> float:
    """Σ priority × requested minutes over placed units (fair share not applied)."""
    return float(sum(problem.units[pl.unit].value for pl in placements))


def placement_entries(problem: Problem, pl: Placement) -> list[PlanEntry]:
    """The plan entries (one per telescope) of a placement."""
    un = problem.units[pl.unit]
    r = problem.request(un)
    start = problem.time(pl.start)
    # The block ends when its exposures end; grid rounding leaves slack after it.
    setup = problem.setup_for(r)
    end = start + (setup + r.duration_s) * u.s
    return [
        PlanEntry(
            unit=un.uid,
            request=r.id,
            telescope=problem.telescopes[k].id,
            target=r.target.name,
            ra=float(r.target.ra),
            dec=float(r.target.dec),
            start=start,
            end=end,
            setup_s=setup,
            exposures=[
                {"filter": e.filter, "seconds": e.seconds, "count": e.count} for e in r.exposures
            ],
            instrument=r.instrument,
            priority=float(r.priority),
            owner=r.owner,
            program=r.program,
            visit=un.visit,
            group=pl.group,
        )
        for k in pl.telescopes
    ]


def make_plan(problem: Problem, placements: list[Placement], method: str, **stats) -> Plan:
    """A :class:`Plan` (entries + explanations) from placements."""
    p = problem
    entries = [e for pl in placements for e in placement_entries(p, pl)]
    by_unit = {pl.unit: pl for pl in placements}
    return Plan(
        night=p.night,
        entries=entries,
        unscheduled=explain(p, by_unit),
        telescopes=[t.id for t in p.telescopes],
        method=method,
        created=Time.now(),
        value=plan_value(p, placements),
        stats=dict(stats),
    )


def schedule(
    requests: list[Request],
    telescopes: list[Telescope],
    night: str,
    *,
    fairshare: FairShare | None = None,
    now: Time | None = None,
    optimize: bool = True,
    time_limit: float = 5.0,
    step_s: float = 60.0,
) -> tuple[Plan, Problem]:
    """Plan ``night`` for ``telescopes``: dispatcher, then (optionally) CP-SAT from its plan.

    Returns
    -------
    plan, problem
        The problem is kept for re-planning and what-if runs.
    """
    t0 = time.perf_counter()
    problem = Problem(requests, telescopes, night, fairshare or FairShare(), now=now, step_s=step_s)
    t1 = time.perf_counter()
    placements = list(best_dispatch(problem).placements.values())
    t2 = time.perf_counter()
    stats = {
        "visibility_s": t1 - t0,
        "dispatch_s": t2 - t1,
        "dispatcher_value": plan_value(problem, placements),
    }
    method = "dispatcher"
    if optimize and problem.units:
        from obshub.scheduler.optimizer import optimize_auto as cpsat

        better, ostats = cpsat(problem, placements, time_limit=time_limit)
        stats["optimizer"] = ostats
        if _weight(problem, better) >= _weight(problem, placements) - 1e-9:
            placements = better
            method = "cp-sat"
    stats["total_s"] = time.perf_counter() - t0
    return make_plan(problem, placements, method, **stats), problem


def _weight(problem: Problem, placements) -> float:
    return float(sum(problem.units[pl.unit].weight for pl in placements))
