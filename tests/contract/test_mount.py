"""Mount contract: the same test functions for every backend (see ``rig`` in conftest)."""

from __future__ import annotations

import asyncio

import astropy.units as u
import pytest
from astropy.coordinates import Angle

from obshub.devices.interfaces import Mount, PierSide
from obshub.devices.interfaces.mount import GuideDirection
from obshub.errors import InvalidOperation

# The simulators agree with the target to well under this (INDI works in JNow, Alpaca J2000).
CLOSE = 2 * u.arcmin


async def test_is_a_mount(rig):
    assert isinstance(rig.mount, Mount)


async def test_unpark_track_and_slew(rig):
    m = rig.mount
    await m.unpark()
    assert not await m.is_parked()
    await m.set_tracking(True)
    assert await m.is_tracking()
    target = rig.field(80.0)
    await m.slew(target)
    assert not await m.is_slewing()
    assert (await m.coordinates()).separation(target) < CLOSE
    alt, az = await m.altaz()
    assert isinstance(alt, Angle) and 20 < alt.deg < 90
    assert 0 <= az.deg < 360
    assert await m.is_tracking()


async def test_offset_moves_by_the_offset(rig):
    m = rig.mount
    await m.unpark()
    before = await m.coordinates()
    await m.offset(0 * u.deg, -1 * u.deg)
    after = await m.coordinates()
    assert abs(before.separation(after) - 1 * u.deg) < CLOSE
    assert after.dec < before.dec


async def test_slew_without_waiting_then_abort(rig):
    m = rig.mount
    await m.unpark()
    start = await m.coordinates()
    far = rig.field(30.0)
    await m.slew(far, wait=False)
    await m.abort_slew()
    await asyncio.sleep(0.5)
    assert not await m.is_slewing()
    # Aborted on the way: not at the far target.
    assert (await m.coordinates()).separation(far) > 1 * u.deg
    await m.slew(start)


async def test_pulse_guide_returns_when_done(rig):
    m = rig.mount
    await m.unpark()
    await m.set_tracking(True)
    for direction in (
        GuideDirection.NORTH,
        GuideDirection.SOUTH,
        GuideDirection.EAST,
        GuideDirection.WEST,
    ):
        await m.pulse_guide(direction, 200 * u.ms)
    assert not await m.is_slewing()


async def test_side_of_pier_is_known(rig):
    m = rig.mount
    await m.unpark()
    await m.slew(rig.field(80.0))
    assert await m.side_of_pier() in (PierSide.EAST, PierSide.WEST)


async def test_sync_then_coordinates(rig):
    m = rig.mount
    await m.unpark()
    await m.set_tracking(True)
    here = await m.coordinates()
    shifted = here.spherical_offsets_by(0 * u.deg, 0.2 * u.deg)
    await m.sync(shifted)
    assert (await m.coordinates()).separation(shifted) < CLOSE
    await m.sync(here)
    assert (await m.coordinates()).separation(here) < CLOSE


async def test_park_refuses_slews_then_unpark(rig):
    m = rig.mount
    await m.unpark()
    await m.slew(rig.field(85.0))
    await m.park()
    assert await m.is_parked()
    with pytest.raises(InvalidOperation) as err:
        await m.slew(rig.field(80.0))
    assert err.value.device == "main"
    await m.unpark()
    assert not await m.is_parked()
    await m.slew(rig.field(80.0))


async def test_status_is_json_ready(rig):
    import json

    s = await rig.mount.status()
    assert s["ok"], s
    assert s["protocol"] == rig.backend
    json.dumps(s)
    for key in (
        "ra_deg",
        "dec_deg",
        "alt_deg",
        "az_deg",
        "tracking",
        "slewing",
        "parked",
        "side_of_pier",
    ):
        assert key in s
