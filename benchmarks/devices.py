"""Device-layer benchmark: status reads from remote stations, obshub against plain alpyca.

Four ``alpaca-simulators`` processes (four stations), each behind a TCP proxy adding 20 ms each
way (a remote site). For a fixed time, read the status of every device of all four:
  * plain alpyca, sequentially (how a script or a driver loop does it);
  * obshub's layer (concurrent reads, one connection pool per server).
Then one station's server is replaced by one that accepts and never answers, and the p99
latency of the healthy devices' status reads is measured for both.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from latency_proxy import DelayProxy  # noqa: E402

from obshub.sim.alpaca import simulator_config  # noqa: E402
from obshub.sim.catalog import default_catalog  # noqa: E402
from obshub.sim.process import AlpacaSimulatorProcess, free_port  # noqa: E402
from obshub.sim.stations import alpaca_station  # noqa: E402
from obshub.station import Station, parse_station  # noqa: E402

# What one "status read" of a device is: the same properties for both clients.
ALPYCA_READS: dict[str, list[str]] = {
    "Telescope": [
        "RightAscension",
        "Declination",
        "Altitude",
        "Azimuth",
        "Tracking",
        "Slewing",
        "AtPark",
        "SideOfPier",
    ],
    "Camera": [
        "CameraState",
        "CCDTemperature",
        "CoolerOn",
        "CoolerPower",
        "BinX",
        "BinY",
        "Gain",
        "PercentCompleted",
    ],
    "FilterWheel": ["Position"],
    "Focuser": ["Position", "IsMoving", "Temperature"],
    "Rotator": ["Position", "IsMoving"],
    "Dome": ["ShutterStatus", "Azimuth", "Slewing", "AtPark"],
    "CoverCalibrator": ["CoverState", "Brightness"],
    "SafetyMonitor": ["IsSafe"],
    "ObservingConditions": [
        "CloudCover",
        "DewPoint",
        "Humidity",
        "Pressure",
        "RainRate",
        "SkyBrightness",
        "SkyQuality",
        "SkyTemperature",
        "StarFWHM",
        "Temperature",
        "WindDirection",
        "WindGust",
        "WindSpeed",
    ],
    "Switch": [],  # read below: values of each switch
}


class HungServer:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def alpyca_devices(address: str) -> list[tuple[str, object]]:
    from alpaca import (
        camera,
        covercalibrator,
        dome,
        filterwheel,
        focuser,
        observingconditions,
        rotator,
        safetymonitor,
        switch,
        telescope,
    )

    classes = [
        telescope.Telescope,
        camera.Camera,
        filterwheel.FilterWheel,
        focuser.Focuser,
        rotator.Rotator,
        dome.Dome,
        covercalibrator.CoverCalibrator,
        safetymonitor.SafetyMonitor,
        observingconditions.ObservingConditions,
        switch.Switch,
    ]
    return [(f"{address}/{c.__name__}", c(address, 0)) for c in classes]


def alpyca_status(dev: object) -> None:
    from alpaca.exceptions import NotImplementedException

    kind = type(dev).__name__
    for prop in ALPYCA_READS[kind]:
        try:
            getattr(dev, prop)
        except NotImplementedException:
            pass  # optional property, as obshub's status treats it
    if kind == "Switch":
        for i in range(2):
            dev.GetSwitchValue(i)  # type: ignore[attr-defined]


def run_alpyca(
    addresses: list[str], seconds: float, skip: set[str] = frozenset()
) -> tuple[float, list[float]]:
    devices = [d for a in addresses for d in alpyca_devices(a)]
    n, lat = 0, []
    gaps: list[float] = []
    t0 = time.monotonic()
    # Staleness counts from the start of the phase: a device never refreshed shows the gap.
    last: dict[str, float] = {name: t0 for name, _ in devices}
    while time.monotonic() - t0 < seconds:
        for name, dev in devices:
            s = time.monotonic()
            try:
                alpyca_status(dev)
            except Exception:  # noqa: BLE001 - the hung server's timeouts
                if name.split("/")[0] in skip:
                    continue
                raise
            if name.split("/")[0] not in skip:
                now = time.monotonic()
                lat.append(now - s)
                gaps.append(now - last[name])
                last[name] = now
                n += 1
            if time.monotonic() - t0 >= seconds:
                break
    STALENESS.extend(gaps)
    return n / (time.monotonic() - t0), lat


#: Seconds between successive fresh readings of one healthy device, in the last alpyca run:
#: what a status page polling sequentially shows while a hung device holds the loop.
STALENESS: list[float] = []


async def run_obshub(
    stations: list[Station],
    seconds: float,
    hung: set[str] = frozenset(),
    errors: list[str] | None = None,
    interval: float = 0.0,
) -> tuple[float, list[float]]:
    errors = [] if errors is None else errors
    devices = [(s.config.servers["sim"].address, d) for s in stations for d in s.devices.values()]
    lat: list[float] = []
    count = 0
    t0 = time.monotonic()

    async def loop(k: int, addr: str, dev) -> None:
        nonlocal count
        if interval:
            # Spread the devices over the period, as independent pollers drift apart.
            await asyncio.sleep(interval * k / len(devices))
        while time.monotonic() - t0 < seconds:
            s = time.monotonic()
            snap = await dev.status()
            if addr not in hung:
                if not snap["ok"]:
                    errors.append(snap["error"])
                    continue
                lat.append(time.monotonic() - s)
                count += 1
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - s)))

    # Every device is polled by its own loop, as a status page or the executor's watchers do.
    await asyncio.gather(*(loop(k, a, d) for k, (a, d) in enumerate(devices)))
    return count / (time.monotonic() - t0), lat


def p99_ms(lat: list[float]) -> float | None:
    # None, not NaN: the last line must stay valid JSON.
    return round(float(np.percentile(np.asarray(lat) * 1000, 99)), 1) if lat else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each measured phase")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="added each way by the proxy")
    ap.add_argument(
        "--pace",
        type=float,
        default=2.0,
        help="seconds between status reads of one device in the latency phases",
    )
    ap.add_argument(
        "--hung-timeout", type=float, default=5.0, help="per-call timeout in the hung phase"
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="obshub-bench-"))
    catalog = default_catalog()
    sims, proxies = [], []
    for i in range(4):
        port = free_port()
        cfg = simulator_config(parse_station(alpaca_station(f"127.0.0.1:{port}")), "sim", catalog)
        sims.append(AlpacaSimulatorProcess(cfg, work / f"sim{i}", port=port).start())
        proxies.append(DelayProxy(port, args.delay_ms / 1000).start())
    addresses = [f"127.0.0.1:{p.port}" for p in proxies]
    result: dict[str, object] = {
        "stations": 4,
        "devices_per_station": 10,
        "added_delay_ms_each_way": args.delay_ms,
    }
    try:
        # Warm-up: connections, caches (filter names), simulators' first answers.
        run_alpyca(addresses, 1.0)
        base_rate, base_lat = run_alpyca(addresses, args.seconds)

        async def obshub_phases() -> dict[str, object]:
            out: dict[str, object] = {}
            stations = [
                Station(
                    parse_station(alpaca_station(a, simulator=False, timeout=args.hung_timeout))
                )
                for a in addresses
            ]
            await asyncio.gather(*(s.connect() for s in stations))
            await run_obshub(stations, 1.0)
            errs0: list[str] = []
            rate, lat = await run_obshub(stations, args.seconds, errors=errs0)
            out["rate"], out["lat"], out["errors"] = rate, lat, len(errs0)
            errs: list[str] = []
            # Paced like a status page (each device every --pace seconds), so the p99 measures the
            # latency a user sees rather than the queue of a saturated machine.
            _, lat_paced = await run_obshub(stations, args.seconds, interval=args.pace)
            out["lat_paced"] = lat_paced
            hung = HungServer()
            hung_addr = f"127.0.0.1:{hung.port}"
            stations[3] = Station(
                parse_station(alpaca_station(hung_addr, simulator=False, timeout=args.hung_timeout))
            )
            rate_h, lat_h = await run_obshub(
                stations, args.seconds, hung={hung_addr}, errors=errs, interval=args.pace
            )
            out["healthy_errors"] = len(errs)
            out["rate_hung"], out["lat_hung"], out["hung_addr"] = rate_h, lat_h, hung_addr
            for s in stations:
                await s.aclose()
            out["hung"] = hung
            return out

        ob = asyncio.run(obshub_phases())
        hung = ob["hung"]
        # alpyca with the same hung server in its device list: every call to it waits for the
        # 5 s alpyca timeout while holding alpyca's process-wide lock.
        STALENESS.clear()
        base_rate_h, base_lat_h = run_alpyca(
            addresses[:3] + [str(ob["hung_addr"])], args.seconds, skip={str(ob["hung_addr"])}
        )
        hung.close()
        result.update(
            alpyca_status_reads_per_s=round(base_rate, 2),
            obshub_status_reads_per_s=round(float(ob["rate"]), 2),
            speedup_vs_alpyca=round(float(ob["rate"]) / base_rate, 2),
            alpyca_median_ms=round(statistics.median(base_lat) * 1000, 1),
            obshub_median_ms=round(statistics.median(ob["lat"]) * 1000, 1),
            healthy_p99_ms_with_hung_device=p99_ms(ob["lat_hung"]),
            healthy_p99_ms_without_hung_device=p99_ms(ob["lat_paced"]),
            saturated_p99_ms=p99_ms(ob["lat"]),
            alpyca_healthy_p99_ms_with_hung_device=p99_ms(base_lat_h),
            alpyca_healthy_refresh_p99_ms_with_hung_device=p99_ms(STALENESS),
            obshub_reads_per_s_with_hung_device=round(float(ob["rate_hung"]), 2),
            obshub_healthy_errors=int(ob["errors"]) + int(ob["healthy_errors"]),
            alpyca_reads_per_s_with_hung_device=round(base_rate_h, 2),
        )
        try:
            import indi_figures  # written beside this file; INDI round trips and frame delays

            result["indi"] = indi_figures.measure_indi()
            result["alpaca"] = indi_figures.measure_alpaca()
        except ImportError:
            pass
        except Exception as exc:  # noqa: BLE001 - a failing INDI part must not hide the rest
            result["indi_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        for p in proxies:
            p.stop()
        for s in sims:
            s.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
