"""Filter wheel, focuser and rotator contract."""

from __future__ import annotations

import astropy.units as u
import pytest

from obshub.devices.interfaces import FilterWheel, Focuser, Rotator
from obshub.errors import InvalidValue


async def test_filter_wheel_by_name_and_slot(rig):
    fw = rig.instrument.filter_wheel
    assert isinstance(fw, FilterWheel)
    names = await fw.names()
    assert names[:5] == ["L", "R", "G", "B", "Ha"]
    await fw.set_filter("Ha")
    assert await fw.filter() == "Ha"
    assert await fw.position() == 4
    await fw.set_filter(1)
    assert await fw.filter() == "R"
    with pytest.raises(InvalidValue) as err:
        await fw.set_filter("OIII-missing")
    assert err.value.device == fw.name
    with pytest.raises(InvalidValue):
        await fw.set_filter(len(names))
    assert set(await fw.focus_offsets()) == set(names)
    s = await fw.status()
    assert s["ok"] and s["filter"] == "R"


async def test_focuser_moves(rig):
    f = rig.instrument.focuser
    assert isinstance(f, Focuser)
    top = await f.max_position()
    start = await f.position()
    assert 0 <= start <= top
    target = start + 100 if start + 100 <= top else start - 100
    await f.move_to(target)
    assert await f.position() == target
    assert not await f.is_moving()
    await f.move_by(-50)
    assert await f.position() == target - 50
    with pytest.raises(InvalidValue):
        await f.move_to(top + 1)
    t = await f.temperature()
    assert t is None or t.unit.is_equivalent(u.deg_C, equivalencies=u.temperature())
    await f.move_to(start)
    s = await f.status()
    assert s["ok"] and s["position"] == start


async def test_rotator_moves(rig):
    r = rig.instrument.rotator
    assert isinstance(r, Rotator)
    await r.move_to(10 * u.deg)
    assert abs((await r.angle()).deg - 10) < 0.1
    assert not await r.is_moving()
    await r.move_to(0 * u.deg)
    assert abs((await r.angle()).wrap_at(180 * u.deg).deg) < 0.1
    s = await r.status()
    assert s["ok"] and not s["moving"]
