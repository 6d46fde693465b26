"""Dome, weather and safety contract, and the whole station's status."""

from __future__ import annotations

import asyncio
import json

import astropy.units as u
import pytest

from obshub.devices.interfaces import (
    Cover,
    CoverState,
    Dome,
    ObservingConditions,
    SafetyMonitor,
    ShutterState,
)
from obshub.errors import NotImplementedByDevice


async def test_dome_shutter_and_azimuth(rig):
    d = rig.station.dome
    assert isinstance(d, Dome)
    await d.open()
    assert await d.shutter() is ShutterState.OPEN
    # Near the INDI dome simulator's park azimuth (90 deg): its dome turns at a fixed rate.
    await d.slew_to_azimuth(80 * u.deg)
    assert abs((await d.azimuth()).deg - 80) < 1
    assert not await d.is_slewing()
    await d.close()
    assert await d.shutter() is ShutterState.CLOSED


async def test_dome_park_then_move_again(rig):
    d = rig.station.dome
    await d.park()
    s = await d.status()
    assert s["ok"] and s["parked"] is True
    # A parked dome leaves park when told to move (ASCOM semantics, on both backends).
    await d.slew_to_azimuth(75 * u.deg)
    assert abs((await d.azimuth()).deg - 75) < 1


async def test_weather_reads_quantities(rig):
    w = rig.station.observing_conditions
    assert isinstance(w, ObservingConditions)
    r = await w.read()
    assert {"temperature", "windspeed", "rainrate", "humidity"} <= set(r)
    assert r["temperature"] is not None and r["temperature"].unit.is_equivalent(u.deg_C)
    assert r["windspeed"] is not None and r["windspeed"].unit.is_equivalent(u.m / u.s)
    for v in r.values():
        assert v is None or isinstance(v, u.Quantity)


async def _safe_becomes(sm, want: bool, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await sm.is_safe() is not want:
        assert loop.time() < deadline, f"is_safe() never became {want}"
        await asyncio.sleep(0.1)


async def test_safety_follows_the_weather(rig):
    sm = rig.station.safety_monitor
    assert isinstance(sm, SafetyMonitor)
    await _safe_becomes(sm, True)
    try:
        await rig.make_unsafe()
        await _safe_becomes(sm, False)
        assert (await sm.status())["safe"] is False
    finally:
        await rig.make_safe()
    await _safe_becomes(sm, True)


async def test_station_status_all_ok(rig):
    st = await rig.station.status()
    json.dumps(st)
    for name, s in st["devices"].items():
        assert s["ok"], (name, s)
        assert s["protocol"] == rig.backend


async def test_cover_and_calibrator(rig):
    """Each part either works or says NotImplementedByDevice: the Alpaca simulator's cover has
    no calibrator, INDI's light panel simulator is a calibrator without a motorised cap."""
    c = rig.station.cover
    assert isinstance(c, Cover)
    has_cover = await c.cover_state() is not CoverState.NOT_PRESENT
    if has_cover:
        await c.open_cover()
        assert await c.cover_state() is CoverState.OPEN
        await c.close_cover()
        assert await c.cover_state() is CoverState.CLOSED
    else:
        with pytest.raises(NotImplementedByDevice):
            await c.open_cover()
    try:
        await c.set_calibrator(50)
    except NotImplementedByDevice:
        has_calibrator = False
    else:
        has_calibrator = True
        assert (await c.status())["brightness"] == 50
        await c.set_calibrator(None)
        assert not (await c.status())["brightness"]
    assert has_cover or has_calibrator
