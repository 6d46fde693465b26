"""Every device type alpaca-simulators serves, through obshub's Alpaca backend."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import Angle

from obshub.devices.interfaces import (
    CameraState,
    CoverState,
    PierSide,
    ShutterState,
)
from obshub.devices.interfaces.mount import GuideDirection
from obshub.errors import InvalidValue
from obshub.frames.stars import detect_stars


async def test_mount_unpark_slew_offset_guide_park(station, zenith):
    mount = station.mounts["main"].mount
    await mount.unpark()
    assert not await mount.is_parked()
    await mount.slew(zenith)
    assert await mount.is_tracking()
    here = await mount.coordinates()
    assert here.separation(zenith) < 1 * u.arcsec
    alt, _az = await mount.altaz()
    assert 70 < alt.deg < 90
    assert await mount.side_of_pier() in (PierSide.EAST, PierSide.WEST)

    await mount.offset(0 * u.arcmin, 30 * u.arcmin)
    moved = await mount.coordinates()
    assert abs(moved.separation(here) - 30 * u.arcmin) < 2 * u.arcsec

    before = await mount.coordinates()
    await mount.pulse_guide(GuideDirection.NORTH, 500 * u.ms)
    after = await mount.coordinates()
    assert after.dec > before.dec

    await mount.set_tracking(False)
    assert not await mount.is_tracking()
    await mount.park()
    assert await mount.is_parked()
    await mount.unpark()


async def test_camera_frame_has_stars(station, zenith):
    mount = station.mounts["main"].mount
    camera = station.mounts["main"].ports["imaging"].camera
    # The simulator is shared by the whole run: ask for the full frame unbinned.
    await camera.set_binning(1)
    await mount.unpark()
    await mount.slew(zenith)
    img = await camera.expose(1 * u.s)
    assert img.data.shape == (1024, 1024)
    assert img.light and img.duration == 1 * u.s
    assert abs((img.start - __import__("astropy.time").time.Time.now()).sec) < 120
    stars = detect_stars(img.data)
    # The offline catalog puts about 20 stars in this 1.5-degree field.
    assert len(stars) >= 3, f"no stars detected: {len(stars)}"
    assert all(0 <= s.x < 1024 and 0 <= s.y < 1024 for s in stars)

    dark = await camera.expose(0.2 * u.s, light=False)
    assert len(detect_stars(dark.data)) < len(stars)


async def test_camera_binning_subframe_gain_cooling_abort(station):
    camera = station.mounts["main"].ports["imaging"].camera
    w, h = await camera.sensor_size()
    img = await camera.expose(0.1 * u.s, binning=(2, 2))
    assert img.data.shape == (h // 2, w // 2)
    assert img.binning == (2, 2)
    await camera.set_subframe(10, 20, 100, 50)
    img = await camera.expose(0.1 * u.s, light=False)
    assert img.data.shape == (50, 100)
    assert img.origin == (10, 20)
    await camera.set_binning(1)
    img = await camera.expose(0.1 * u.s, light=False)
    assert img.data.shape == (h, w)

    # With a named gain list ASCOM's Gain is an index into it, and the simulator answers with
    # the named value (index 3 reads back as "4"): check the setting took, not its encoding.
    g0 = await camera.gain()
    await camera.set_gain(5 if g0 != 5 else 2)
    assert await camera.gain() != g0
    await camera.set_cooling(True, -10 * u.deg_C)
    assert (await camera.temperature()).unit == u.deg_C

    import asyncio

    task = asyncio.ensure_future(camera.expose(30 * u.s, light=False))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if await camera.state() is CameraState.EXPOSING:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The cancelled exposure was aborted: the camera is free for the next one.
    assert await camera.state() in (CameraState.IDLE, CameraState.ERROR)
    img = await camera.expose(0.1 * u.s, light=False)
    assert img.data.size > 0


async def test_filter_wheel_focuser_rotator(station):
    port = station.mounts["main"].ports["imaging"]
    fw, foc, rot = port.filter_wheel, port.focuser, port.rotator
    assert await fw.names() == ["L", "R", "G", "B", "Ha"]
    await fw.set_filter("Ha")
    assert await fw.filter() == "Ha" and await fw.position() == 4
    await fw.set_filter(1)
    assert await fw.filter() == "R"
    with pytest.raises(InvalidValue, match="no filter 'Z'"):
        await fw.set_filter("Z")
    assert set(await fw.focus_offsets()) == {"L", "R", "G", "B", "Ha"}

    start = await foc.position()
    await foc.move_to(start + 250)
    assert await foc.position() == start + 250
    await foc.move_by(-250)
    assert await foc.position() == start
    with pytest.raises(InvalidValue, match="outside"):
        await foc.move_to(await foc.max_position() + 1)
    assert (await foc.temperature()).unit == u.deg_C

    await rot.move_to(Angle(37.5, u.deg))
    assert abs((await rot.angle()).deg - 37.5) < 0.2
    assert not await rot.is_moving()


async def test_dome_cover_switch_weather_safety(station, alpaca_sim):
    dome, cover = station.dome, station.cover
    await dome.open()
    assert await dome.shutter() is ShutterState.OPEN
    await dome.slew_to_azimuth(Angle(120, u.deg))
    assert abs((await dome.azimuth()).deg - 120) < 1
    await dome.close()
    assert await dome.shutter() is ShutterState.CLOSED

    await cover.open_cover()
    assert await cover.cover_state() is CoverState.OPEN
    await cover.close_cover()
    assert await cover.cover_state() is CoverState.CLOSED

    power = station.switches["power"]
    await power.turn_on("mount")
    assert await power.is_on("mount")
    await power.turn_off(0)
    assert not await power.is_on("mount")
    with pytest.raises(InvalidValue, match="no switch named"):
        await power.get("toaster")

    weather = await station.observing_conditions.read()
    assert weather["temperature"].unit == u.deg_C
    assert 0 <= weather["humidity"].to_value(u.percent) <= 100

    safety = station.safety_monitor
    assert await safety.is_safe()
    alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="false")
    try:
        assert not await safety.is_safe()
    finally:
        alpaca_sim.put("api/v1/safetymonitor/0/issafe", IsSafe="true")
    assert await safety.is_safe()


async def test_status_covers_every_device(station):
    status = await station.status()
    kinds = {d["kind"] for d in status["devices"].values()}
    assert kinds == {
        "mount",
        "camera",
        "filterwheel",
        "focuser",
        "rotator",
        "dome",
        "cover",
        "switch",
        "observingconditions",
        "safetymonitor",
    }
    assert all(d["ok"] for d in status["devices"].values()), status
    assert np.isfinite(status["devices"]["main"]["ra_deg"])
