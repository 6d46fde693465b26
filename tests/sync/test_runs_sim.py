"""Strict, loose and planned runs on three cameras sharing one simulated mount.

Every mount motion and exposure interval is recorded twice — by the coordinator's log and by
polling the simulator's own ``slewing``/``ispulseguiding``/``camerastate`` — and the test
asserts that none overlap. No timing is asserted.
"""

from __future__ import annotations

import pytest
from sync_helpers import SimPoller, log_overlaps

from obshub.sync import CameraSpec, MountCoordinator, SyncLog, plan_trains
from obshub.sync.log import now
from obshub.sync.trains import Dither, run_loose, run_plan, run_strict

pytestmark = pytest.mark.slow

# Runs end after DITHERS dithers; the deadline only bounds a stuck run.
DITHERS = 2
DEADLINE = 90.0
DITHER = Dither(pulse=0.3, settle=0.1)
# The planned run dithers by small offset slews instead of guide pulses, on a mount slewing
# slowly enough for the poller to see it move.
OFFSET_DITHER = Dither(offset=20.0, settle=0.1)


def specs(coord: MountCoordinator) -> dict[str, CameraSpec]:
    names = list(coord.cameras)
    base = [(0.4, 2), (0.6, 2), (0.9, 2)]
    return {
        n: CameraSpec(n, e, readout=0.15, dither_every=k, min_exposure=e / 2, max_exposure=e * 1.5)
        for n, (e, k) in zip(names, base, strict=True)
    }


def check_run(coord: MountCoordinator, observed, result) -> None:
    log = coord.log
    assert log_overlaps(log) == []
    assert observed.overlaps() == [], "the simulator saw a camera exposing while the mount moved"
    # Not vacuous: the poller saw both motions and exposures, and frames were taken.
    assert observed.moving_samples > 0
    assert observed.exposing_samples > 0
    assert result.dithers == DITHERS
    assert len(log.motions()) == result.dithers
    assert all(result.frames[c] >= 2 for c in coord.cameras)
    assert [e for e in log.exposures() if e.spoiled] == []


async def test_strict_run(station3, sim3):
    coord = MountCoordinator.from_station(station3, "main", policy="strict", log=SyncLog())
    async with SimPoller(sim3.address) as observed:
        result = await run_strict(coord, specs(coord), DITHER, now() + DEADLINE, DITHERS)
    check_run(coord, observed, result)


async def test_loose_run(station3, sim3):
    coord = MountCoordinator.from_station(station3, "main", policy="loose", log=SyncLog())
    leader = list(coord.cameras)[-1]
    async with SimPoller(sim3.address) as observed:
        result = await run_loose(coord, specs(coord), DITHER, now() + DEADLINE, leader, DITHERS)
    check_run(coord, observed, result)
    # That followers start frames which fit before the leader's dither is checked without
    # timing luck in test_coordinator_sim.py::test_loose_starts_frames_that_end_before_the_motion.
    assert {m.requested_by for m in coord.log.motions()} == {leader}


async def test_planned_run(slow_station3, slow_sim3):
    coord = MountCoordinator.from_station(slow_station3, "main", policy="planned", log=SyncLog())
    plan = plan_trains(list(specs(coord).values()), OFFSET_DITHER.duration)
    async with SimPoller(slow_sim3.address) as observed:
        result = await run_plan(coord, plan, OFFSET_DITHER, now() + DEADLINE, DITHERS)
    check_run(coord, observed, result)
    assert {m.kind for m in coord.log.motions()} == {"offset"}
    # The plan's exposures were used, within every camera's bounds.
    for name, train in plan.trains.items():
        s = plan.specs[name]
        assert s.lo <= train.exposure <= s.hi
        assert {round(e.duration, 6) for e in coord.log.exposures(name)} == {
            round(train.exposure, 6)
        }
