"""INDI beside Alpaca: set-and-acknowledge round trip, and exposure end to FITS on disk.

Each backend runs against its real simulator on this machine (``indiserver`` with Debian's INDI
simulators; ``alpaca-simulators``), both through obshub's device layer:

* ``set_ack_ms``: setting the camera's gain until the device has acknowledged it (INDI: the
  driver's Ok update of ``CCD_GAIN``; Alpaca: the PUT's reply). For INDI the same with a plain
  PyIndi client (``pyindi_baseline_set_ack_ms``), the baseline: PyIndi's socket has no
  TCP_NODELAY, so each request waits for the server's delayed ACK.
* ``fits_delay_ms``: from the end of a 1 s exposure (request time + duration) until the frame is
  written, fsynced and renamed into place as a FITS file (``obshub.frames.fits.write_fits``):
  readout, transfer (INDI: a FITS BLOB pushed by the server; Alpaca: ImageBytes polled for and
  pulled), decoding and writing.

``benchmarks/devices.py`` calls :func:`measure_indi` and :func:`measure_alpaca`; run alone, this
prints both, and its last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import astropy.units as u

from obshub.devices.interfaces import Camera
from obshub.sim.catalog import default_catalog
from obshub.sim.process import free_port
from obshub.station import Station, parse_station


def _run(coro_fn: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """Run in a fresh event loop, in a thread when the caller already runs one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_fn())
    out: dict[str, Any] = {}

    def target() -> None:
        out.update(asyncio.run(coro_fn()))

    t = threading.Thread(target=target)
    t.start()
    t.join()
    return out


def _write(image: Any, path: Path) -> None:
    from obshub.frames.fits import build_header, write_fits

    write_fits(path, image, build_header(image))


async def _measure(
    camera: Camera, sets: int, frames: int, exposure: float, out_dir: Path
) -> dict[str, Any]:
    g0 = await camera.gain()
    acks = []
    for i in range(sets):
        t = time.perf_counter()
        await camera.set_gain(g0 + (i % 2))
        acks.append((time.perf_counter() - t) * 1000)
    await camera.set_gain(g0)
    await camera.expose(0.1 * u.s)  # warm-up: first frames pay one-off costs
    delays = []
    shape: tuple[int, ...] = ()
    for i in range(frames):
        t0 = time.perf_counter()
        image = await camera.expose(exposure * u.s)
        await asyncio.to_thread(_write, image, out_dir / f"frame{i}.fits")
        delays.append((time.perf_counter() - t0 - exposure) * 1000)
        shape = tuple(image.data.shape)
    acks.sort()
    return {
        "set_ack_ms": round(statistics.median(acks), 2),
        "set_ack_p95_ms": round(acks[int(0.95 * (len(acks) - 1))], 2),
        "fits_delay_ms": round(statistics.median(delays), 1),
        "fits_delay_max_ms": round(max(delays), 1),
        "frame_shape": list(shape),
        "sets": sets,
        "frames": frames,
    }


def _pyindi_baseline(port: int, device: str, sets: int) -> float:
    """Median set-and-acknowledge with a plain PyIndi client, as a script would write it:
    ``sendNewNumber(dev, prop, elem, value)``, then wait for the driver's Ok update."""
    import PyIndi

    class Client(PyIndi.BaseClient):
        def __init__(self) -> None:
            super().__init__()
            self.acked = threading.Event()

        def updateProperty(self, prop) -> None:  # noqa: N802 - PyIndi's name
            try:
                if prop.getName() == "CCD_GAIN" and prop.getState() == PyIndi.IPS_OK:
                    self.acked.set()
            except Exception:  # noqa: BLE001 - never let an exception into PyIndi
                pass

    c = Client()
    c.setServer("127.0.0.1", port)
    if not c.connectServer():
        raise RuntimeError(f"PyIndi baseline: no server on port {port}")
    try:
        deadline = time.monotonic() + 10
        while not c.getDevice(device) or not c.getDevice(device).getNumber("CCD_GAIN"):
            if time.monotonic() > deadline:
                raise RuntimeError("PyIndi baseline: CCD_GAIN never defined")
            time.sleep(0.05)
        times = []
        for i in range(sets):
            c.acked.clear()
            t = time.perf_counter()
            c.sendNewNumber(device, "CCD_GAIN", "GAIN", 50 + (i % 2))
            if not c.acked.wait(5):
                raise RuntimeError("PyIndi baseline: no acknowledgement within 5 s")
            times.append((time.perf_counter() - t) * 1000)
        return round(statistics.median(times), 2)
    finally:
        c.disconnectServer()


def measure_indi(sets: int = 40, frames: int = 5, exposure: float = 1.0) -> dict[str, Any]:
    """The INDI figures, against an indiserver this starts and kills."""
    from obshub.sim.indi import IndiServerProcess, indi_station

    async def go() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="obshub-bench-indi-") as tmp:
            port = free_port()
            cfg = parse_station(indi_station(f"127.0.0.1:{port}"))
            srv = IndiServerProcess(cfg, "indi", Path(tmp) / "srv", default_catalog(), port=port)
            srv.start()
            st = Station(cfg)
            try:
                await st.connect()
                cam = st.mounts["main"].ports["imaging"].camera
                r = await _measure(cam, sets, frames, exposure, Path(tmp) / "frames")
                r["transport"] = "INDI FITS BLOB, pushed"
                r["pyindi_baseline_set_ack_ms"] = await asyncio.to_thread(
                    _pyindi_baseline, port, cam.device, sets
                )
                return r
            finally:
                await st.aclose()
                srv.kill()

    return _run(go)


def measure_alpaca(sets: int = 40, frames: int = 5, exposure: float = 1.0) -> dict[str, Any]:
    """The same figures against an alpaca-simulators process this starts and stops."""
    from obshub.sim.alpaca import simulator_config
    from obshub.sim.process import AlpacaSimulatorProcess
    from obshub.sim.stations import alpaca_station

    async def go() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="obshub-bench-alpaca-") as tmp:
            port = free_port()
            cfg = parse_station(alpaca_station(f"127.0.0.1:{port}"))
            sim = AlpacaSimulatorProcess(
                simulator_config(cfg, "sim", default_catalog()), Path(tmp) / "sim", port=port
            )
            sim.start()
            st = Station(cfg)
            try:
                await st.connect()
                cam = st.mounts["main"].ports["imaging"].camera
                r = await _measure(cam, sets, frames, exposure, Path(tmp) / "frames")
                r["transport"] = "Alpaca ImageBytes, polled"
                return r
            finally:
                await st.aclose()
                sim.stop()

    return _run(go)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", type=int, default=40)
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--exposure", type=float, default=1.0)
    a = p.parse_args(argv)
    result = {
        "benchmark": "indi_vs_alpaca_device_figures",
        "indi": measure_indi(a.sets, a.frames, a.exposure),
        "alpaca": measure_alpaca(a.sets, a.frames, a.exposure),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
