"""Property tests over random instances: every plan is valid, complete, explained and bounded."""

from __future__ import annotations

import astropy.units as u
from astropy.time import Time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_helpers import KITT, NIGHT, OHP, telescope

from obshub.scheduler.bound import upper_bound
from obshub.scheduler.constraints import (
    AirmassConstraint,
    AltitudeConstraint,
    AtNightConstraint,
    MoonIlluminationConstraint,
    MoonSeparationConstraint,
    SkyBrightnessConstraint,
)
from obshub.scheduler.dispatcher import Dispatcher
from obshub.scheduler.optimizer import optimize
from obshub.scheduler.problem import Problem
from obshub.scheduler.requests import Cadence, Exposure, Request
from obshub.scheduler.schedule import make_plan, plan_value
from obshub.scheduler.targets import Target
from obshub.scheduler.validator import validate_plan

NIGHT_START = Time("2026-03-15T18:00:00")

constraint_sets = st.tuples(
    st.floats(0, 50),  # min altitude
    st.one_of(st.none(), st.floats(1.2, 3.0)),  # max airmass
    st.one_of(st.none(), st.floats(0, 60)),  # moon separation
    st.one_of(st.none(), st.floats(0.2, 1.0)),  # moon illumination
    st.sampled_from(["civil", "nautical", "astronomical", "night"]),
    st.one_of(st.none(), st.floats(17, 21.3)),  # sky brightness
)


@st.composite
def requests(draw, i: int):
    ra = draw(st.floats(0, 359.9))
    dec = draw(st.floats(-40, 85))
    minutes = draw(st.floats(3, 90))
    alt, am, sep, ill, tw, sky = draw(constraint_sets)
    cons = [AltitudeConstraint(alt), AtNightConstraint.twilight(tw)]
    if am is not None:
        cons.append(AirmassConstraint(hi=am))
    if sep is not None:
        cons.append(MoonSeparationConstraint(lo=sep))
    if ill is not None:
        cons.append(MoonIlluminationConstraint(hi=ill))
    if sky is not None:
        cons.append(SkyBrightnessConstraint(lo=sky))
    kind = draw(st.sampled_from(["plain", "plain", "window", "cadence", "together"]))
    kw = {}
    if kind == "window":
        a = draw(st.floats(0, 14))
        kw["window"] = (
            NIGHT_START + a * u.hour,
            NIGHT_START + (a + draw(st.floats(1, 6))) * u.hour,
        )
    elif kind == "cadence":
        minutes = min(minutes, 15)
        kw["cadence"] = Cadence(
            draw(st.floats(45, 180)) * 60, draw(st.floats(0, 20)) * 60, draw(st.integers(2, 4))
        )
    elif kind == "together":
        kw["together"] = 2
    return Request(
        f"r{i}",
        Target(f"t{i}", ra, dec),
        (Exposure("L", minutes * 60 - 2, 1),),
        constraints=tuple(cons),
        priority=draw(st.integers(1, 10)),
        **kw,
    )


@st.composite
def instances(draw):
    n = draw(st.integers(1, 14))
    reqs = [draw(requests(i)) for i in range(n)]
    tels = [telescope("ohp/a", OHP), telescope("ohp/b", OHP)]
    if draw(st.booleans()):
        tels.append(telescope("kitt/a", KITT))
    return reqs, tels


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(instances())
def test_random_instances_give_valid_complete_bounded_plans(inst):
    reqs, tels = inst
    problem = Problem(reqs, tels, NIGHT)
    for contention in (True, False):  # the plain pass last: it is the optimiser's hint below
        pls = Dispatcher(problem, contention=contention).run()
        greedy = make_plan(problem, pls, "dispatcher")
        assert validate_plan(greedy, reqs, tels) == []
    better, _ = optimize(problem, pls, time_limit=3)
    plan = make_plan(problem, better, "cp-sat")
    assert validate_plan(plan, reqs, tels) == []
    # complete: each unit scheduled or explained, not both
    units = {un.uid for un in problem.units}
    scheduled = {e.unit for e in plan.entries}
    explained = [x.unit for x in plan.unscheduled]
    assert len(explained) == len(set(explained))
    assert scheduled.isdisjoint(explained) and scheduled | set(explained) == units
    assert all(x.message for x in plan.unscheduled)
    # the optimiser never loses value, and no plan beats the relaxation
    assert plan_value(problem, better) >= plan_value(problem, pls) - 1e-6
    assert plan_value(problem, better) <= upper_bound(problem) + 1e-6


events = st.lists(
    st.tuples(
        st.sampled_from(["close", "fault", "frame", "urgent", "normal"]),
        st.floats(0, 1),  # when, as a fraction of the night
        st.floats(0, 1),  # which telescope / unit / where in the sky
        st.floats(0.5, 6),  # hours closed
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), events)
def test_events_keep_the_plan_valid(seed, evs):
    """Any sequence of events leaves a valid plan in which nothing new starts in the past."""
    import numpy as np
    from sched_helpers import random_requests

    from obshub.scheduler.replan import Scheduler
    from obshub.scheduler.requests import UnobservableRequest, Urgency

    tels = [telescope("ohp/a", OHP), telescope("ohp/b", OHP), telescope("kitt/a", KITT)]
    s = Scheduler(tels, random_requests(20, seed=seed, dec_range=(-20, 70)), NIGHT)
    sn = s.problem.nights[OHP.name]
    t_first = s.problem.time(sn.i0)
    t_last = s.problem.time(s.problem.nights[KITT.name].i1)
    span = (t_last - t_first).to(u.hour)
    now = t_first
    for i, (kind, when, which, hours) in enumerate(sorted(evs, key=lambda e: e[1])):
        now = max(now, t_first + when * span)
        before = {e.unit: e.start for e in s.plan.entries}
        if kind == "close":
            site = [OHP.name, KITT.name][int(which * 2) % 2]
            s.site_closed(site, now, now + hours * u.hour, now=now)
        elif kind == "fault":
            s.telescope_fault(tels[int(which * 3) % 3].id, now, now + hours * u.hour, now=now)
        elif kind == "frame" and s.plan.entries:
            e = s.plan.entries[int(which * len(s.plan.entries)) % len(s.plan.entries)]
            s.frame_failed(e.unit, max(now, e.start))
        else:
            rng = np.random.default_rng(i + seed)
            r = Request(
                f"ev{i}",
                Target(f"ev{i}", float(rng.uniform(0, 360)), float(rng.uniform(-20, 70))),
                (Exposure("R", 60, 3),),
                constraints=(AltitudeConstraint(25), AtNightConstraint.twilight("nautical")),
                priority=10,
                urgency=Urgency.interrupt if kind == "urgent" else Urgency.normal,
            )
            try:
                s.submit(r, now=now)
            except UnobservableRequest:
                pass
        plan = s.plan
        assert validate_plan(plan, s.problem.requests, s.problem.telescopes) == []
        for e in plan.entries:
            if e.unit not in before or before[e.unit] != e.start:  # moved or new
                assert e.start >= now - 61 * u.s
        units = {un.uid for un in s.problem.units}
        assert {e.unit for e in plan.entries} | {x.unit for x in plan.unscheduled} == units
