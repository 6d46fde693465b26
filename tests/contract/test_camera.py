"""Camera contract: frames with stars, darks without, binning, subframes, abort, gain."""

from __future__ import annotations

import asyncio

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from obshub.devices.interfaces import Camera, CameraState, Image
from obshub.errors import InvalidValue


@pytest.fixture(scope="session")
async def pointed(rig):
    """Point the mount at a field with catalog stars and keep it tracking."""
    m = rig.mount
    await m.unpark()
    await m.set_tracking(True)
    await m.slew(rig.field(80.0))
    cam = rig.instrument.camera
    await cam.set_binning(1)
    return rig


async def test_light_frame_has_stars(pointed, count_stars):
    cam = pointed.instrument.camera
    assert isinstance(cam, Camera)
    w, h = await cam.sensor_size()
    before = Time.now()
    img = await cam.expose(1 * u.s)
    assert isinstance(img, Image)
    assert img.data.shape == (h, w)
    assert np.issubdtype(img.data.dtype, np.integer)
    assert img.binning == (1, 1) and img.origin == (0, 0)
    assert img.light and img.camera == cam.name
    assert abs(img.duration - 1 * u.s) < 0.01 * u.s
    assert abs((img.start - before).to_value(u.s)) < 30
    assert count_stars(img.data) >= 3


async def test_dark_frame_has_no_stars(pointed, count_stars):
    cam = pointed.instrument.camera
    img = await cam.expose(1 * u.s, light=False)
    assert not img.light
    assert count_stars(img.data) == 0
    # and a light frame right after still has them: the frame type does not stick
    assert count_stars((await cam.expose(1 * u.s)).data) >= 3


async def test_binning(pointed, count_stars):
    cam = pointed.instrument.camera
    w, h = await cam.sensor_size()
    try:
        img = await cam.expose(1 * u.s, binning=(2, 2))
        assert img.binning == (2, 2)
        assert img.data.shape == (h // 2, w // 2)
        assert count_stars(img.data) >= 3
    finally:
        await cam.set_binning(1)
    assert (await cam.expose(0.5 * u.s)).data.shape == (h, w)


async def test_subframe(pointed):
    cam = pointed.instrument.camera
    try:
        img = await cam.expose(0.5 * u.s, subframe=(10, 20, 200, 100))
        assert img.data.shape == (100, 200)
        assert img.origin == (10, 20)
        # A window off the sensor is refused: INDI when it is set, Alpaca (ASCOM validates
        # at StartExposure) when it is used. Either way, InvalidValue before any frame.
        w, h = await cam.sensor_size()
        with pytest.raises(InvalidValue):
            await cam.set_subframe(w - 10, 0, 100, 100)
            await cam.expose(0.1 * u.s)
    finally:
        await cam.full_frame()
    w, h = await cam.sensor_size()
    assert (await cam.expose(0.5 * u.s)).data.shape == (h, w)


async def _state_becomes(cam, want: CameraState, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await cam.state() is not want:
        assert loop.time() < deadline, f"camera never became {want.name}"
        await asyncio.sleep(0.05)


async def test_abort_then_expose_again(pointed):
    cam = pointed.instrument.camera
    task = asyncio.ensure_future(cam.expose(10 * u.s))
    try:
        await _state_becomes(cam, CameraState.EXPOSING)
        await cam.abort()
        await _state_becomes(cam, CameraState.IDLE)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    img = await cam.expose(0.5 * u.s)
    assert img.data.size > 0


async def test_cancelling_an_exposure_aborts_it(pointed):
    cam = pointed.instrument.camera
    task = asyncio.ensure_future(cam.expose(10 * u.s))
    await _state_becomes(cam, CameraState.EXPOSING)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _state_becomes(cam, CameraState.IDLE)


async def test_gain_reads_back(pointed, request):
    if pointed.backend == "alpaca":
        # alpaca-simulators 1.3.2 serves a Gains list, takes Gain as an index into it and
        # answers with the list's value (index + 1): reported to the Alpaca backend's owner.
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="alpaca-simulators reads gain back as index + 1")
        )
    cam = pointed.instrument.camera
    g = await cam.gain()
    try:
        await cam.set_gain(g + 1)
        assert await cam.gain() == g + 1
    finally:
        await cam.set_gain(g)


async def test_temperature_and_bad_exposure(pointed):
    cam = pointed.instrument.camera
    t = await cam.temperature()
    assert t.unit.is_equivalent(u.deg_C, equivalencies=u.temperature())
    with pytest.raises(ValueError):
        await cam.expose(-1 * u.s)


async def test_status(pointed):
    s = await pointed.instrument.camera.status()
    assert s["ok"], s
    assert s["state"] == "idle"
    assert s["binning"] == [1, 1]
