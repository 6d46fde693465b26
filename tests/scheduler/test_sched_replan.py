"""Re-planning on events: weather, faults, failed frames, urgent requests; the optimiser off-loop."""

from __future__ import annotations

import asyncio

import astropy.units as u
import pytest
from sched_helpers import NIGHT, OHP, SSO, random_requests, request, telescope

from obshub.scheduler.replan import Scheduler
from obshub.scheduler.requests import Exposure, UnobservableRequest, Urgency
from obshub.scheduler.validator import validate_plan


def _network():
    tels = [telescope("ohp/t1", OHP), telescope("ohp/t2", OHP), telescope("sso/t1", SSO)]
    reqs = random_requests(50, seed=21, dec_range=(-60, 60))
    return tels, reqs


@pytest.fixture
def sched():
    tels, reqs = _network()
    return Scheduler(tels, reqs, NIGHT)


def _valid(s: Scheduler) -> None:
    assert validate_plan(s.plan, s.problem.requests, s.problem.telescopes) == []


def test_site_closed_for_weather(sched):
    s = sched
    t0 = s.problem.time(s.problem.nights[OHP.name].i0) + 2 * u.hour
    before = {e.unit for e in s.plan.entries if e.telescope.startswith("ohp")}
    assert before
    plan = s.site_closed(OHP.name, t0, t0 + 3 * u.hour, now=t0)
    for e in plan.entries:
        if e.telescope.startswith("ohp") and e.start >= t0 - 1 * u.s:
            assert e.start >= t0 + 3 * u.hour - 1 * u.s or e.end <= t0
    _valid(s)
    # a unit that can only run while the site is closed says "weather"
    assert all(x.reason != "unavailable" for x in plan.unscheduled)


def test_telescope_fault_moves_its_work(sched):
    s = sched
    t0 = s.problem.time(s.problem.nights[OHP.name].i0) + 1 * u.hour
    value = s.value
    plan = s.telescope_fault("ohp/t1", t0, now=t0)
    assert not [e for e in plan.entries if e.telescope == "ohp/t1" and e.end > t0]
    _valid(s)
    assert s.value <= value + 1e-6


def test_frame_failed_requeues_the_unit(sched):
    s = sched
    e = s.plan.for_telescope("ohp/t1")[0]
    now = e.start + 5 * u.min
    plan = s.frame_failed(e.unit, now)
    again = plan.entry(e.unit)
    if again:
        assert again[0].start >= now - 1 * u.s
    else:
        assert any(x.unit == e.unit for x in plan.unscheduled)
    _valid(s)


def test_urgent_request_preempts_lower_priority_work(sched):
    s = sched
    sn = s.problem.nights[OHP.name]
    now = s.problem.time(sn.i0 + 240)
    # a target well up at OHP at `now`
    q = sn.target_quantities([i * 10.0 for i in range(36)], [30.0] * 36)
    alt = q["altitude"][:, 240]
    lst_ra = float(alt.argmax() * 10.0)
    grb = request(
        "grb",
        lst_ra,
        30.0,
        exposures=(Exposure("R", 60, 5),),
        priority=10,
        urgency=Urgency.interrupt,
        telescopes=("ohp/t1",),
    )
    running = s.plan.next_for("ohp/t1", now)
    ins = s.submit(grb, now=now)
    assert ins.scheduled
    e = ins.entries[0]
    assert e.telescope == "ohp/t1"
    assert (e.start - now).to_value(
        u.s
    ) < 61  # at the next grid step: the running block is interrupted
    if running is not None and running.start < now:
        assert running.unit in ins.preempted + ins.moved
    _valid(s)
    why = {x.unit: x for x in s.plan.unscheduled}
    for uid in ins.preempted:
        assert "pre-empted by urgent grb" in why[uid].message


def test_urgent_request_waits_for_running_block_when_site_says_next():
    tels = [telescope("ohp/t1", OHP, preemption="next")]
    reqs = random_requests(30, seed=4)
    s = Scheduler(tels, reqs, NIGHT)
    entries = s.plan.for_telescope("ohp/t1")
    running = entries[len(entries) // 2]
    now = running.start + 2 * u.min
    grb = request("grb", running.ra, running.dec, minutes=5, priority=10, urgency=Urgency.interrupt)
    ins = s.submit(grb, now=now)
    assert ins.scheduled
    assert ins.entries[0].start >= running.end - 1 * u.s  # after the running block, not during
    assert running.unit not in ins.preempted
    _valid(s)


def test_urgent_request_never_policy_only_fills_free_time():
    tels = [telescope("ohp/t1", OHP, preemption="never")]
    s = Scheduler(tels, random_requests(40, seed=8), NIGHT)
    e = s.plan.for_telescope("ohp/t1")[2]
    grb = request("grb", e.ra, e.dec, minutes=5, priority=10, urgency=Urgency.interrupt)
    ins = s.submit(grb, now=e.start - 30 * u.min)
    assert ins.preempted == [] and ins.moved == []
    _valid(s)


def test_unobservable_urgent_request_is_refused(sched):
    with pytest.raises(UnobservableRequest):
        sched.submit(request("nope", 0, 89.9, instrument="spectroscopy", urgency=Urgency.interrupt))


async def test_optimiser_runs_off_the_event_loop():
    tels, reqs = _network()
    s = Scheduler(tels, reqs, NIGHT)
    ticks = 0
    stop = asyncio.Event()

    async def heartbeat():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    hb = asyncio.create_task(heartbeat())
    stats = await s.improve(time_limit=2.0)
    stop.set()
    await hb
    assert ticks > 0  # the loop kept running while CP-SAT worked in its thread
    assert "adopted" in stats
    _valid(s)


async def test_optimiser_result_dropped_if_an_event_came_first():
    tels, reqs = _network()
    s = Scheduler(tels, reqs, NIGHT)
    task = asyncio.create_task(s.improve(time_limit=2.0))
    await asyncio.sleep(0)
    e = s.plan.for_telescope("ohp/t1")[0]
    s.frame_failed(e.unit, e.start + 1 * u.min)  # an event while the optimiser works
    stats = await task
    assert stats["adopted"] is False
    _valid(s)


def test_what_if_leaves_the_plan_alone(sched):
    s = sched
    before = s.plan.to_dict()["entries"]
    t0 = s.problem.time(s.problem.nights[OHP.name].i0)
    from obshub.scheduler.telescopes import Downtime

    alt = s.what_if(downtime={"ohp/t1": [Downtime(t0, t0 + 24 * u.hour, "maintenance")]})
    assert not [e for e in alt.entries if e.telescope == "ohp/t1"]
    more = s.what_if(add=[request("extra", 150, 30, priority=10)], remove=["r0"])
    assert "r0" not in {e.request for e in more.entries} | {x.request for x in more.unscheduled}
    assert s.plan.to_dict()["entries"] == before


def test_mark_done_locks_and_charges(sched):
    s = sched
    e = s.plan.for_telescope("ohp/t1")[0]
    req = s.problem.requests[s.problem.req_index[e.request]]
    used = s.problem.fairshare.program(req.program).used_hours
    s.mark_done(e.unit)
    s.mark_done(e.unit)  # idempotent
    assert s.problem.fairshare.program(req.program).used_hours == pytest.approx(
        used + req.duration_s / 3600
    )
    assert s.plan.entry(e.unit)[0].state == "done"
    assert s.plan.next_for("ohp/t1", e.start) is not s.plan.entry(e.unit)[0]
    # a fault later on does not move what is done
    s.telescope_fault("ohp/t1", e.start, now=e.start)
    assert s.plan.entry(e.unit)
