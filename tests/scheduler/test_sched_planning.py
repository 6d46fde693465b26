"""Planning end to end on small instances, every plan checked by the astropy validator."""

from __future__ import annotations

from collections import Counter

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from sched_helpers import KITT, NIGHT, OHP, SSO, random_requests, request, telescope

from obshub.scheduler.constraints import AltitudeConstraint, AtNightConstraint
from obshub.scheduler.dispatcher import Dispatcher
from obshub.scheduler.fairshare import FairShare, Program
from obshub.scheduler.optimizer import optimize
from obshub.scheduler.problem import Problem
from obshub.scheduler.requests import Cadence
from obshub.scheduler.schedule import make_plan, plan_value, schedule
from obshub.scheduler.telescopes import Downtime
from obshub.scheduler.validator import validate_plan


@pytest.fixture(scope="module")
def crowded():
    """40 requests for one telescope: more than a night holds."""
    reqs = random_requests(40, seed=11)
    tels = [telescope("ohp/t1")]
    plan, problem = schedule(reqs, tels, NIGHT, time_limit=10)
    return reqs, tels, plan, problem


def test_crowded_night_plan_is_valid_and_full(crowded):
    reqs, tels, plan, problem = crowded
    assert validate_plan(plan, reqs, tels) == []
    assert plan.entries, "something must be scheduled"
    # every unit is either scheduled or explained, never both
    scheduled = {e.unit for e in plan.entries}
    explained = {x.unit for x in plan.unscheduled}
    assert scheduled.isdisjoint(explained)
    assert scheduled | explained == {un.uid for un in problem.units}
    # a crowded night leaves little idle dark time
    dark = problem.nights[OHP.name]
    busy = sum(e.minutes for e in plan.entries)
    assert busy > 0.7 * dark.n_times * problem.step_s / 60 * np.mean(dark.sun_alt < -18)


def test_optimizer_never_worse_than_dispatcher(crowded):
    _, _, plan, problem = crowded
    assert plan.value >= plan.stats["dispatcher_value"] - 1e-6
    assert plan.stats["optimizer"]["status"] in ("OPTIMAL", "FEASIBLE")


def test_outranked_requests_name_who_took_their_time(crowded):
    _, _, plan, _ = crowded
    reasons = Counter(x.reason for x in plan.unscheduled)
    assert reasons["outranked"] > 0
    x = next(x for x in plan.unscheduled if x.reason == "outranked")
    assert "outranked by" in x.message or "fragmented" in x.message
    if "outranked by" in x.message:
        assert "priority" in x.message and "ohp/t1" in x.message


def test_explanations_cover_each_reason():
    tels = [
        telescope(
            "ohp/t1",
            downtime=(Downtime(Time("2026-03-15T18:00"), Time("2026-03-16T08:00"), "weather"),),
        ),
        telescope("ohp/t2"),
    ]
    start = Time("2026-03-15T12:00:00")
    reqs = [
        request("south", 186.65, -63.1),  # never rises
        request("spec", 150, 20, instrument="spectroscopy"),  # nobody can
        request("share", 150, 20, program="spent"),
        request("window", 150, 20, window=(start, start + 2 * u.hour)),  # daytime only
        request("weather", 150, 20, telescopes=("ohp/t1",)),  # only on the closed one
        request("ok", 150, 20),
    ]
    fs = FairShare({"spent": Program("spent", allocation_hours=1, used_hours=1)})
    plan, _ = schedule(reqs, tels, NIGHT, fairshare=fs, time_limit=2)
    why = {x.request: x for x in plan.unscheduled}
    assert why["south"].reason == "never_visible" and "never above" in why["south"].message
    assert why["spec"].reason == "no_capable_telescope"
    assert why["share"].reason == "share_used_up"
    assert why["window"].reason in ("never_visible", "window_passed")
    assert why["weather"].reason == "weather"
    assert "ok" not in why and plan.entry("ok")[0].telescope == "ohp/t2"
    assert validate_plan(plan, reqs, tels) == []


def test_window_passed_when_planning_late():
    w0 = Time("2026-03-15T20:00:00")
    r = request("early", 120, 30, minutes=10, window=(w0, w0 + 1 * u.hour))
    plan, _ = schedule([r], [telescope("ohp/t1")], NIGHT, now=w0 + 3 * u.hour, time_limit=1)
    assert plan.unscheduled[0].reason == "window_passed"


def test_requests_go_to_any_capable_telescope_across_sites():
    tels = [telescope("ohp/t1", OHP), telescope("kitt/t1", KITT), telescope("sso/t1", SSO)]
    reqs = random_requests(60, seed=5, dec_range=(-70, 70))
    plan, _ = schedule(reqs, tels, NIGHT, time_limit=5)
    used = {e.telescope for e in plan.entries}
    assert used == {t.id for t in tels}
    assert validate_plan(plan, reqs, tels) == []
    # southern targets only go south
    for e in plan.entries:
        if e.dec < -50:
            assert e.telescope == "sso/t1"


def test_together_request_starts_on_several_telescopes_at_once():
    tels = [telescope("ohp/a"), telescope("ohp/b"), telescope("ohp/c")]
    reqs = [request("pair", 150, 30, minutes=30, together=2, priority=9)] + random_requests(
        10, seed=2
    )
    plan, _ = schedule(reqs, tels, NIGHT, time_limit=2)
    pair = plan.entry("pair")
    assert len(pair) == 2
    assert pair[0].start == pair[1].start and pair[0].telescope != pair[1].telescope
    assert pair[0].group == pair[1].group == "pair"
    assert validate_plan(plan, reqs, tels) == []


def test_together_prefers_cooperating_mounts():
    tels = [
        telescope("ohp/a"),
        telescope("ohp/b"),
        telescope("ohp/c", cooperates_with=("ohp/d",)),
        telescope("ohp/d"),
    ]
    reqs = [request("pair", 150, 30, minutes=30, together=2, priority=9)]
    plan, _ = schedule(reqs, tels, NIGHT, time_limit=1)
    assert sorted(e.telescope for e in plan.entry("pair")) == ["ohp/c", "ohp/d"]


def test_cadence_follows_the_sun_across_sites():
    """Visits every 2 h through the UTC day: Europe first, then Arizona, handed westward."""
    tels = [telescope("ohp/t1", OHP), telescope("kitt/t1", KITT)]
    start = Time("2026-03-15T19:30:00")
    # dec +80: above 20° all night at both sites (22° at lower culmination from Kitt Peak)
    r = request(
        "monitor",
        30.0,
        80.0,
        minutes=5,
        priority=8,
        constraints=(AltitudeConstraint(20), AtNightConstraint.twilight("astronomical")),
        cadence=Cadence(2 * 3600, 15 * 60, 7),
        window=(start, start + 14 * u.hour),
    )
    plan, _ = schedule([r], tels, NIGHT, time_limit=2)
    visits = sorted((e for e in plan.entries if e.request == "monitor"), key=lambda e: e.visit)
    assert len(visits) == 7, str(plan)
    sites = [e.telescope for e in visits]
    assert sites[0] == "ohp/t1" and sites[-1] == "kitt/t1"
    assert sites == sorted(sites, key=lambda s: s != "ohp/t1")  # Europe then America, once
    assert validate_plan(plan, [r], tels) == []


def test_fair_share_favours_the_program_below_its_share():
    tels = [telescope("ohp/t1")]
    # Two programs asking for the same targets; "club" has used far more than its share.
    reqs = []
    for i, ra in enumerate(np.linspace(100, 200, 16)):
        reqs.append(request(f"club{i}", ra, 30, minutes=40, priority=5, program="club"))
        reqs.append(request(f"solo{i}", ra, 32, minutes=40, priority=5, program="solo"))
    fs = FairShare(
        {"club": Program("club", 1, used_hours=20), "solo": Program("solo", 1, used_hours=2)}
    )
    plan, _ = schedule(reqs, tels, NIGHT, fairshare=fs, time_limit=3)
    by = Counter(e.program for e in plan.entries)
    assert by["solo"] > by["club"]
    fs.account(plan.entries)  # only executed blocks are charged
    assert fs.programs["solo"].used_hours == 2
    for e in plan.entries:
        e.state = "done"
    fs.account(plan.entries)
    assert fs.programs["solo"].used_hours > 2


def test_dispatcher_alone_is_valid_and_optimizer_hint_is_kept():
    reqs = random_requests(25, seed=3)
    tels = [telescope("ohp/t1")]
    problem = Problem(reqs, tels, NIGHT)
    pls = Dispatcher(problem).run()
    plan = make_plan(problem, pls, "dispatcher")
    assert validate_plan(plan, reqs, tels) == []
    better, stats = optimize(problem, pls, time_limit=5)
    assert plan_value(problem, better) >= plan_value(problem, pls) - 1e-6
    assert validate_plan(make_plan(problem, better, "cp-sat"), reqs, tels) == []
