"""Alpaca errors, servers that die, and servers that hang: obshub stays bounded and clear."""

from __future__ import annotations

import asyncio
import socket
import threading

import astropy.units as u
import pytest

from obshub.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceTimeout,
    NotImplementedByDevice,
    ObshubError,
)
from obshub.sim.process import free_port
from obshub.sim.stations import alpaca_station
from obshub.station import Station, parse_station


class HungServer:
    """Accepts TCP connections and never answers: the worst kind of remote device."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def _station(address: str, **changes) -> Station:
    data = alpaca_station(address, simulator=False)
    for key, value in changes.items():
        data[key] = value
    return Station(parse_station(data))


async def test_alpaca_error_numbers_become_obshub_errors(alpaca_sim):
    # Device number 7 does not exist: the simulator answers HTTP 200 with error 0x400.
    data = alpaca_station(alpaca_sim.address, simulator=False)
    data["mounts"][0]["ports"][0]["focuser"]["number"] = 7
    st = Station(parse_station(data))
    focuser = st.mounts["main"].ports["imaging"].focuser
    try:
        with pytest.raises(NotImplementedByDevice) as info:
            await focuser.position()
        err = info.value
        assert isinstance(err, ObshubError) and isinstance(err, DeviceError)
        assert err.device == "main.imaging.focuser" and err.operation == "position"
        assert err.code == 0x400
        assert "main.imaging.focuser: position" in str(err)
        # status() reports the failure instead of raising.
        snap = await focuser.status()
        assert snap["ok"] is False and "0x400" in snap["error"]
    finally:
        await st.aclose()


async def test_invalid_value_from_device(station):
    camera = station.mounts["main"].ports["imaging"].camera
    with pytest.raises(DeviceError) as info:
        await camera.set_binning(99)
    assert info.value.device == "main.imaging.camera"


async def test_refused_connection_is_disconnected_error():
    st = _station(f"127.0.0.1:{free_port()}")
    try:
        with pytest.raises(DeviceDisconnected, match="unreachable"):
            await st.mounts["main"].mount.coordinates()
        status = await st.status()
        assert not any(d["ok"] for d in status["devices"].values())
        assert all(d["reachable"] is False for d in status["devices"].values())
    finally:
        await st.aclose()


async def test_server_killed_mid_exposure_then_restarted(alpaca_factory):
    sim = alpaca_factory()
    st = _station(sim.address)
    camera = st.mounts["main"].ports["imaging"].camera
    try:
        await st.connect()
        task = asyncio.ensure_future(camera.expose(5 * u.s, light=False))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(sim.kill)
        with pytest.raises((DeviceDisconnected, DeviceTimeout)) as info:
            await task
        assert info.value.device == "main.imaging.camera"

        await asyncio.to_thread(sim.start)
        # The next call reconnects by itself and the camera works again.
        img = await camera.expose(0.2 * u.s, light=False)
        assert img.data.shape == (1024, 1024)
        assert await camera.is_connected()
        status = await st.status()
        assert all(d["ok"] for d in status["devices"].values()), status
    finally:
        await st.aclose()


async def test_hung_server_does_not_slow_healthy_devices(alpaca_sim):
    hung = HungServer()
    data = alpaca_station(alpaca_sim.address, simulator=False)
    data["servers"]["hung"] = {
        "protocol": "alpaca",
        "address": f"127.0.0.1:{hung.port}",
        "timeout": 4,
    }
    data["mounts"][0]["ports"][0]["focuser"] = {"server": "hung", "number": 0}
    st = Station(parse_station(data))
    focuser = st.mounts["main"].ports["imaging"].focuser
    healthy = [d for n, d in st.devices.items() if d is not focuser]
    try:
        stuck = asyncio.ensure_future(focuser.status())
        stuck_raw = asyncio.ensure_future(focuser.position())
        # Many rounds of reads of every healthy device while the hung one is pending.
        for _ in range(5):
            snaps = await asyncio.gather(*(d.status() for d in healthy))
            assert all(s["ok"] for s in snaps), snaps
        assert not stuck.done(), "healthy reads should finish while the hung device still waits"
        snap = await stuck
        assert snap["ok"] is False and "within 4 s" in snap["error"]
        with pytest.raises(DeviceTimeout) as info:
            await stuck_raw
        assert info.value.device == "main.imaging.focuser"
    finally:
        await st.aclose()
        hung.close()
