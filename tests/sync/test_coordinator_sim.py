"""The coordinator's rules on the real simulator: who is held back, what is flagged."""

from __future__ import annotations

import asyncio

import astropy.units as u
import pytest
from sync_helpers import SimPoller, log_overlaps

from obshub.devices.interfaces.mount import GuideDirection
from obshub.sync import Accounting, MountCoordinator, SyncError, SyncLog


def coordinator(station, policy: str) -> MountCoordinator:
    return MountCoordinator.from_station(station, "main", policy=policy, log=SyncLog())


async def until(predicate, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polling the coordinator's status is the point
            await asyncio.sleep(0.01)


async def start_then_request_motion(coord: MountCoordinator, long_s: float):
    """Camera 1 starts a long frame; then the executor asks for a dither (a pulse guide)."""
    cam1 = "main.imaging"
    a = asyncio.create_task(coord.expose(cam1, long_s))
    await until(lambda: cam1 in coord.status()["exposing"])

    async def dither():
        async with coord.mount_motion("dither", requested_by="executor"):
            await coord.mount.pulse_guide(GuideDirection.NORTH, 0.3 * u.s)

    m = asyncio.create_task(dither())
    await until(lambda: coord.status()["pending"] or coord.status()["moving"])
    return a, m


async def test_strict_holds_every_new_frame_until_the_motion_is_done(station3):
    coord = coordinator(station3, "strict")
    a, m = await start_then_request_motion(coord, 2.0)
    b = await coord.expose("imaging2", 0.3)
    frame_a = await a
    await m
    (motion,) = coord.log.motions()
    assert motion.start >= frame_a.record.closed  # the mount waited for the open shutter
    assert b.record.start >= motion.end  # the short frame was not started before the dither
    assert any(w.camera == "main.imaging2" and "strict" in w.why for w in coord.log.waits())
    assert log_overlaps(coord.log) == []
    assert frame_a.counted and b.counted


async def test_loose_starts_frames_that_end_before_the_motion(station3):
    coord = coordinator(station3, "loose")
    a, m = await start_then_request_motion(coord, 2.5)
    fits = asyncio.create_task(coord.expose("imaging2", 0.3))
    too_long = asyncio.create_task(coord.expose("imaging3", 3.0))
    b, c = await fits, await too_long
    await a, await m
    (motion,) = coord.log.motions()
    assert b.record.start < motion.start and b.record.closed <= motion.start
    assert c.record.start >= motion.end  # would have been spoiled: not started
    assert log_overlaps(coord.log) == []


async def test_baseline_dither_spoils_the_open_frame_and_it_is_not_counted(station3, sim3):
    coord = coordinator(station3, "independent")
    # The poller is the same as the runs' overlap check: here it must see the overlap.
    async with SimPoller(sim3.address) as observed:
        a = asyncio.create_task(coord.expose("imaging", 3.0))
        await until(lambda: "main.imaging" in coord.status()["exposing"])
        await asyncio.sleep(0.2)
        await coord.dither(1.0 * u.s)
        frame = await a
    assert 0 in {cam for cam, _ in observed.overlaps()}
    assert log_overlaps(coord.log) != []
    assert frame.spoiled and not frame.counted
    assert "dither" in frame.reason
    assert frame.header_keywords()["SYNCSPOL"][0] is True
    tally = Accounting(coord.log).per_camera()["main.imaging"]
    assert tally.spoiled == pytest.approx(3.0) and tally.exposing == 0
    assert tally.spoiled_frames == 1


async def test_a_motion_nobody_negotiated_is_detected(station3):
    coord = coordinator(station3, "strict")
    a = asyncio.create_task(coord.expose("imaging", 2.0))
    await until(lambda: "main.imaging" in coord.status()["exposing"])
    await asyncio.sleep(0.3)
    # Another program moves the mount behind the coordinator's back.
    await station3.mounts["main"].mount.offset(60 * u.arcsec, 0 * u.arcsec)
    frame = await a
    assert frame.spoiled
    assert "not negotiated" in frame.reason


async def test_urgent_motion_does_not_wait_and_aborts_open_frames(station3):
    coord = coordinator(station3, "strict")
    a = asyncio.create_task(coord.expose("imaging", 5.0))
    await until(lambda: "main.imaging" in coord.status()["exposing"])
    async with coord.mount_motion("park", urgent=True, abort=True) as req:
        assert req.spoiled == ["main.imaging"]
    frame = await a
    assert frame.spoiled and frame.image is None
    (motion,) = coord.log.motions()
    assert motion.urgent and motion.start < frame.record.start + 5.0


async def test_external_exposure_lease_holds_the_mount(station3):
    coord = coordinator(station3, "strict")
    camera = coord.cameras["main.imaging2"]

    async def outside():
        async with coord.exposing("imaging2", 1.0) as lease:
            await camera.expose(1.0 * u.s)
        return lease

    t = asyncio.create_task(outside())
    await until(lambda: "main.imaging2" in coord.status()["exposing"])
    await coord.dither(0.2 * u.s)
    lease = await t
    (motion,) = coord.log.motions()
    assert motion.start >= lease.closed and not lease.spoiled


async def test_misuse_is_reported_clearly(station3):
    coord = coordinator(station3, "strict")
    with pytest.raises(SyncError, match="no camera 'nope'.*main.imaging"):
        await coord.expose("nope", 1.0)
    with pytest.raises(SyncError, match="no mount 'other'"):
        MountCoordinator.from_station(station3, "other")
    with pytest.raises(ValueError, match="unknown sync policy 'lax'"):
        MountCoordinator.from_station(station3, "main", policy="lax")
    # A motion that cannot start in time names who is still exposing.
    a = asyncio.create_task(coord.expose("imaging", 2.0))
    await until(lambda: "main.imaging" in coord.status()["exposing"])
    with pytest.raises(SyncError, match="still exposing: main.imaging"):
        async with coord.mount_motion("flip", timeout=0.2):
            pass
    await a
    assert coord.status()["pending"] == []
