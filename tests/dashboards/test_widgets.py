"""The control panel against a real Alpaca simulator: buttons drive devices, errors show."""

from __future__ import annotations

import asyncio

import astropy.units as u
import numpy as np
import pytest

from obshub.station import Station
from obshub.widgets import ControlPanel, encode_png, resolve_target, stretch


@pytest.fixture
async def station(station_file):
    s = Station.from_file(station_file)
    await s.connect()
    yield s
    await s.aclose()


async def test_slew_by_name_and_coordinates_then_jog_and_park(station):
    panel = ControlPanel(station)
    pad = panel.mount
    await pad.run("unpark", pad.unpark)
    pad.target.value = "M 13"
    await pad.run("slew", pad.slew)
    assert pad.last_error is None, pad.last_error
    here = await station.instrument()[0].mount.coordinates()
    assert here.separation(resolve_target("M13")) < 0.1 * u.deg
    assert "done" in pad.message.value or "on M 13" in pad.message.value
    pad.target.value = "16:41:41 +36:27:35"
    await pad.run("slew", pad.slew)
    assert pad.last_error is None, pad.last_error
    before = await pad.mount.coordinates()
    pad.step.value = 15.0
    await pad.run("jog", lambda: pad.jog("N"))
    after = await pad.mount.coordinates()
    assert (after.dec - before.dec).deg == pytest.approx(0.25, abs=0.05)
    assert "+36" in pad.position.value  # readouts refreshed after the action
    await pad.run("park", pad.park)
    assert await pad.mount.is_parked()
    assert "parked" in pad.state.value


async def test_bad_input_is_shown_in_the_panel_not_raised(station):
    panel = ControlPanel(station)
    pad = panel.mount
    pad.target.value = "Nowhere Galaxy"
    result = await pad.run("slew", pad.slew)
    assert result is None
    assert "unknown name" in pad.message.value
    pad.target.value = "400 95"
    await pad.run("slew", pad.slew)
    assert "target '400 95'" in pad.last_error
    panel.focuser.goal.value = -5
    await panel.focuser.run("move", panel.focuser.move)
    assert "outside 0.." in panel.focuser.last_error


async def test_camera_filter_focuser_rotator(station):
    panel = ControlPanel(station)
    cam = panel.camera
    await cam.refresh()
    assert list(cam.filter.options) == ["L", "R", "G", "B", "Ha"]
    cam.filter.value = "R"
    cam.duration.value = 0.2
    cam.binning.value = 2
    frame_type = cam.frame_type
    frame_type.value = "dark"
    await cam.run("expose", cam.expose)
    assert cam.last_error is None, cam.last_error
    assert cam.last_image is not None and cam.last_image.binning == (2, 2)
    assert bytes(cam.view.value).startswith(b"\x89PNG")
    assert cam.filter_now.value == "R"
    cam.stretch.value = "linear"  # redraws the same frame
    assert bytes(cam.view.value).startswith(b"\x89PNG")
    cam.cooler.value = True
    cam.setpoint.value = -15
    await cam.run("cooling", cam.apply_cooling)
    assert cam.last_error is None, cam.last_error

    foc = panel.focuser
    await foc.refresh()
    start = await foc.focuser.position()
    foc.steps.value = 50
    await foc.run("out", lambda: foc.nudge(+1))
    assert await foc.focuser.position() == start + 50
    assert foc.position.value.startswith(str(start + 50))

    rot = panel.rotator
    rot.goal.value = 42.0
    await rot.run("rotate", rot.move)
    assert (await rot.rotator.angle()).deg == pytest.approx(42.0, abs=0.5)


async def test_auto_refresh_shows_device_changes(station):
    panel = ControlPanel(station)
    task = panel.start_auto_refresh(0.2)
    try:
        _, inst = station.instrument()
        await inst.filter_wheel.set_filter("Ha")
        for _ in range(50):
            if panel.camera.filter_now.value == "Ha":
                break
            await asyncio.sleep(0.1)
        assert panel.camera.filter_now.value == "Ha"
    finally:
        panel.stop_auto_refresh()
    await asyncio.sleep(0)
    assert task.cancelled()


def test_stretch_and_png_are_valid():
    data = np.random.default_rng(1).normal(1000, 10, (50, 80))
    data[20, 30] = 60000
    for kind in ("linear", "asinh", "log", "sqrt"):
        g = stretch(data, kind)
        assert g.dtype == np.uint8 and g.shape == (50, 80) and g[20, 30] == 255
    png = encode_png(stretch(data))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in png
    with pytest.raises(ValueError, match="stretch 'gamma'"):
        stretch(data, "gamma")
    with pytest.raises(ValueError, match="2-D"):
        stretch(np.zeros(5))
