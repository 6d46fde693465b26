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
    # Loose lets the short-exposure followers keep going while the leader exposes.
    lead = coord.log.exposures(leader)
    followers = [e for e in coord.log.exposures() if e.camera != leader]
    assert any(f.start > lf.start and f.closed < lf.closed for lf in lead for f in followers)


async def test_planned_run(station3, sim3):
    coord = MountCoordinator.from_station(station3, "main", policy="planned", log=SyncLog())
    plan = plan_trains(list(specs(coord).values()), DITHER.duration)
    async with SimPoller(sim3.address) as observed:
        result = await run_plan(coord, plan, DITHER, now() + DEADLINE, DITHERS)
    check_run(coord, observed, result)
    # The plan's exposures were used, within every camera's bounds.
    for name, train in plan.trains.items():
        s = plan.specs[name]
        assert s.lo <= train.exposure <= s.hi
        assert {round(e.duration, 6) for e in coord.log.exposures(name)} == {
            round(train.exposure, 6)
        }
