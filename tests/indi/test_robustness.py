"""INDI-specific robustness: a server that dies and comes back, callbacks that raise,
waits that end, errors that name the device and the operation."""

from __future__ import annotations

import asyncio

import astropy.units as u
import pytest

from obshub.devices.indi.client import IndiConnection
from obshub.devices.indi.mount import IndiMount
from obshub.errors import DeviceDisconnected, DeviceTimeout, NotImplementedByDevice, ObshubError
from obshub.sim.process import free_port


async def _until(pred, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not pred():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_server_killed_and_restarted_reconnects(indi_server, station):
    mount = station.mounts["main"].mount
    camera = station.mounts["main"].ports["imaging"].camera
    conn: IndiConnection = mount.conn
    await mount.coordinates()
    reconnects = conn.reconnects

    indi_server.kill()
    # The listener notices the dead socket; calls then fail fast, they do not hang.
    await _until(lambda: not conn.connected)
    with pytest.raises(DeviceDisconnected) as err:
        await asyncio.wait_for(mount.coordinates(), 10)
    assert err.value.device == "main"
    s = await mount.status()
    assert s["ok"] is False and s["reachable"] is False and "not reachable" in s["error"]

    indi_server.start()
    # The next call reconnects, and connects the devices again (a new server forgot them).
    await mount.coordinates()
    assert conn.reconnects == reconnects + 1
    assert await mount.is_connected()
    assert await camera.is_connected()
    # The camera's BLOB mode was restored too: frames still arrive.
    img = await camera.expose(0.5 * u.s)
    assert img.data.size > 0
    assert (await station.status())["devices"]["main.imaging.focuser"]["ok"]


async def test_a_raising_watcher_does_not_stop_callbacks(station):
    focuser = station.mounts["main"].ports["imaging"].focuser
    conn: IndiConnection = focuser.conn
    before = conn.callback_errors

    def broken(snap):
        raise RuntimeError("a bug in a watcher")

    conn.watchers.append(broken)
    try:
        start = await focuser.position()
        await focuser.move_to(start + 10)
        assert conn.callback_errors > before
        await focuser.move_to(start)
        assert await focuser.position() == start
    finally:
        conn.watchers.remove(broken)


async def test_a_raising_callback_does_not_kill_the_client(station, monkeypatch):
    """The listener callback itself raises (here: storing the telescope's coordinates, which
    it updates several times a second); PyIndi would stop calling back for good if the
    exception escaped. The guard swallows and counts it, and later callbacks still arrive."""
    focuser = station.mounts["main"].ports["imaging"].focuser
    conn: IndiConnection = focuser.conn
    real = conn._store
    failures = 0

    def flaky(prop):
        nonlocal failures
        if failures < 3 and prop.getName() == "EQUATORIAL_EOD_COORD":
            failures += 1
            raise RuntimeError("a bug in the callback")
        real(prop)

    before = conn.callback_errors
    monkeypatch.setattr(conn, "_store", flaky)
    await _until(lambda: failures == 3)
    assert conn.callback_errors >= before + 3
    # The listener thread lives on: a move needs several more callbacks to finish.
    start = await focuser.position()
    await focuser.move_to(start + 20)
    assert await focuser.position() == start + 20
    monkeypatch.undo()
    await focuser.move_to(start)
    assert await focuser.position() == start


async def test_unknown_device_times_out_naming_it(station, indi_server):
    conn = station.mounts["main"].mount.conn
    ghost = IndiMount("ghost", conn, "No Such Telescope", timeout=1.0)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(DeviceTimeout) as err:
        await ghost.connect()
    assert loop.time() - t0 < 5
    assert err.value.device == "ghost" and err.value.operation == "connect"
    assert "No Such Telescope" in str(err.value)
    s = await ghost.status()
    assert s["ok"] is False


async def test_missing_property_is_not_implemented(station):
    focuser = station.mounts["main"].ports["imaging"].focuser
    # The focuser simulator defines no FOCUS_ABORT_MOTION.
    with pytest.raises(NotImplementedByDevice) as err:
        await focuser.halt()
    assert err.value.device == focuser.name and err.value.operation == "halt"


async def test_no_server_fails_fast_with_a_clear_error():
    conn = IndiConnection("127.0.0.1", free_port(), timeout=1.0)
    mount = IndiMount("nowhere", conn, "Telescope Simulator", timeout=1.0)
    with pytest.raises(DeviceDisconnected) as err:
        await asyncio.wait_for(mount.connect(), 10)
    assert "not reachable" in str(err.value) and err.value.device == "nowhere"
    s = await mount.status()
    assert s["ok"] is False and s["reachable"] is False
    await conn.aclose()


async def test_alert_becomes_an_error_naming_device_and_operation(station):
    fw = station.mounts["main"].ports["imaging"].filter_wheel
    # Slot 99 is outside the driver's range: INDI answers Alert (or refuses), never hangs.
    with pytest.raises(ObshubError) as err:
        await fw.conn.send(
            fw.device, "FILTER_SLOT", {"FILTER_SLOT_VALUE": 99}, fw.name, "position", 3
        )
    assert fw.name in str(err.value)


def _nodelay_flags(port: int) -> list[int]:
    import os
    import socket

    flags = []
    for name in os.listdir("/proc/self/fd"):
        try:
            s = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        try:
            if (
                s.type == socket.SOCK_STREAM
                and s.family == socket.AF_INET
                and s.getpeername()[1] == port
            ):
                flags.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        except OSError:
            pass
        finally:
            s.close()
    return flags


async def test_requests_are_not_held_back_by_nagle(station, indi_server):
    """PyIndi writes a request in pieces; without TCP_NODELAY each waits ~40 ms for an ACK."""
    await station.mounts["main"].mount.coordinates()
    flags = _nodelay_flags(indi_server.port)
    assert flags and all(flags), flags
