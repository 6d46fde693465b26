"""The executor's motion hook, served by the sync coordinators, on the real simulator."""

from __future__ import annotations

import asyncio

import astropy.units as u
import pytest

from obshub.devices.interfaces.mount import GuideDirection
from obshub.sync import StationSync, SyncError


async def test_station_sync_is_the_executors_hook(station3):
    motion = pytest.importorskip("obshub.executor.motion")
    sync = StationSync.from_station(station3, policy="strict")
    assert isinstance(sync, motion.MotionCoordinator)

    unit = station3.mounts["main"]
    cam = unit.ports["imaging2"].camera
    started = asyncio.Event()

    async def script_exposure():
        # As the executor's script does: the camera's own name, the frame inside the hook.
        async with sync.exposure("main", cam.name, 1.0) as lease:
            started.set()
            await cam.expose(1.0 * u.s)
        return lease

    async def script_dither():
        await started.wait()
        async with sync.mount_motion("main", "dither"):
            await unit.mount.pulse_guide(GuideDirection.EAST, 0.2 * u.s)

    lease, _ = await asyncio.gather(script_exposure(), script_dither())
    (m,) = sync.log.motions()
    (e,) = sync.log.exposures()
    assert m.requested_by == "executor" and m.kind == "dither"
    assert m.start >= e.closed and not lease.spoiled
    assert e.camera == "main.imaging2"


async def test_unknown_length_frames_hold_loose_followers(station3):
    # The executor may not say how long a frame is: loose then cannot fit other frames
    # before the motion, so nothing starts until the motion is done.
    sync = StationSync.from_station(station3, policy="loose")
    coord = sync.coordinator("main")
    cam = station3.mounts["main"].ports["imaging"].camera
    opened = asyncio.Event()

    async def outside():
        async with sync.exposure("main", cam.name):
            opened.set()
            await cam.expose(1.0 * u.s)

    async def motion():
        await opened.wait()
        async with sync.mount_motion("main", "flip"):
            await asyncio.sleep(0.1)

    async def follower():
        await opened.wait()
        await asyncio.sleep(0.2)
        return await coord.expose("imaging3", 0.2)

    _, _, frame = await asyncio.gather(outside(), motion(), follower())
    (m,) = sync.log.motions()
    assert frame.record.start >= m.end
    assert coord.status()["exposing"] == {}
    with pytest.raises(SyncError, match="no coordinator for mount 'west'"):
        sync.coordinator("west")
