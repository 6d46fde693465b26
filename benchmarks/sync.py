"""Sync benchmark: three cameras on one mount, a dither every N frames, four ways.

One ``alpaca-simulators`` process serves a mount and three cameras (three cameras on one
mount). The cameras have different exposure and readout times (scaled down to seconds; the
slower readouts of real cameras are emulated by a delay after each download, on top of the
simulator's own rendering and download time) and each wants a dither every N of its frames.
Dithers are guide pulses plus a settling time. Each way runs for a few dither cycles:

* ``independent`` — the baseline: every camera dithers after its own N frames and ignores the
  others; a frame a dither overlaps is spoiled and counted as lost;
* ``strict`` — the barrier (N.I.N.A. sync, APT strict): all cameras take N frames at their
  nominal exposure and download them, then the mount dithers;
* ``loose`` — the longest-exposing camera leads; the others start only frames that end before
  its dither;
* ``planned`` — obshub's planner: trains chosen within each camera's exposure bounds so that
  dithers land in the gaps (during the last readouts).

Integration efficiency = counted exposure seconds / (cameras × wall seconds), measured in the
steady state between the first and the last dither (whole cycles). The physical
limit (:func:`obshub.sync.planner.limit_efficiency`) loses only readouts (as measured here) and
the dithers each camera needs, each camera using its longest allowed exposure.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import astropy.units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time

from obshub.sim.alpaca import simulator_config
from obshub.sim.catalog import default_catalog
from obshub.sim.process import AlpacaSimulatorProcess, free_port
from obshub.sim.stations import alpaca_station
from obshub.station import Station, parse_station
from obshub.sync import (
    CameraSpec,
    MountCoordinator,
    SyncLog,
    limit_efficiency,
    plan_trains,
    strict_plan,
)
from obshub.sync.log import now
from obshub.sync.trains import Dither, run_independent, run_loose, run_plan, run_strict

# Nominal exposure and emulated extra readout per camera (seconds), scaled down from e.g.
# 60 s / 100 s / 160 s exposures with 15 s / 40 s / 25 s readouts.
CAMERAS = {"imaging": (0.6, 0.15), "imaging2": (1.0, 0.4), "imaging3": (1.6, 0.25)}
BOUNDS = (0.6, 1.5)  # allowed exposure, as fractions of the nominal one
DITHER_EVERY = 3
DITHER = Dither(pulse=0.4, settle=0.2)


class SlowReadout:
    """A camera whose frames take ``readout`` seconds longer to come back (a slow sensor)."""

    def __init__(self, camera: Any, readout: float):
        self._camera = camera
        self.readout = readout

    async def expose(self, *args: Any, **kwargs: Any) -> Any:
        image = await self._camera.expose(*args, **kwargs)
        await asyncio.sleep(self.readout)
        return image

    def __getattr__(self, name: str) -> Any:
        return getattr(self._camera, name)


def coordinator(station: Station, cams: dict[str, Any], policy: Any) -> MountCoordinator:
    unit = station.mounts["main"]
    return MountCoordinator(unit.mount, cams, name="main", policy=policy, log=SyncLog())


async def measure(station: Station, cams: dict[str, Any]) -> tuple[dict[str, float], float]:
    """Per-camera readout (everything between two exposures) and the dither's duration."""
    coord = coordinator(station, cams, "strict")
    over: dict[str, list[float]] = {n: [] for n in cams}

    async def loop(name: str) -> None:
        e = CAMERAS[name.split(".")[-1]][0]
        for _ in range(2):
            f = await coord.expose(name, e)
            r = f.record
            over[name].append(r.end - r.start - r.duration)

    await asyncio.gather(*(loop(n) for n in cams))
    dithers = []
    for _ in range(2):
        t = now()
        await coord.dither(DITHER.pulse * u.s, settle=DITHER.settle)
        dithers.append(now() - t)
    return {n: statistics.median(v) for n, v in over.items()}, statistics.median(dithers)


async def main(dithers: int) -> dict[str, Any]:
    port = free_port()
    cfg = parse_station(alpaca_station(f"127.0.0.1:{port}", cameras=len(CAMERAS)))
    work = Path(tempfile.mkdtemp(prefix="obshub-sync-bench-"))
    sim = AlpacaSimulatorProcess(simulator_config(cfg, "sim", default_catalog()), work, port=port)
    sim.start()
    try:
        station = Station(cfg)
        await station.connect()
        unit = station.mounts["main"]
        await unit.mount.unpark()
        frame = AltAz(obstime=Time.now(), location=station.location)
        await unit.mount.slew(SkyCoord(alt=75 * u.deg, az=180 * u.deg, frame=frame).icrs)
        cams: dict[str, Any] = {}
        for inst in unit.ports.values():
            # Small frames: the simulator renders each one, and that must not dominate.
            await inst.camera.set_binning(1)
            await inst.camera.set_subframe(0, 0, 128, 128)
            cams[inst.name] = SlowReadout(inst.camera, CAMERAS[inst.config.name][1])
        readouts, dither_s = await measure(station, cams)
        specs = {
            n: CameraSpec(
                n,
                exposure=CAMERAS[n.split(".")[-1]][0],
                readout=round(readouts[n], 3),
                dither_every=DITHER_EVERY,
                min_exposure=CAMERAS[n.split(".")[-1]][0] * BOUNDS[0],
                max_exposure=CAMERAS[n.split(".")[-1]][0] * BOUNDS[1],
            )
            for n in cams
        }
        plan = plan_trains(list(specs.values()), dither_s)
        print(plan, flush=True)
        leader = max(specs, key=lambda n: specs[n].exposure)
        # Runs end after a number of dithers (the deadline only bounds a stuck run); the
        # baseline's cameras each dither on their own, so it needs as many per camera.
        end = lambda: now() + 120  # noqa: E731
        k = dithers
        runs = {
            "independent": lambda c: run_independent(c, specs, DITHER, end(), k * len(cams)),
            "strict": lambda c: run_strict(c, specs, DITHER, end(), k),
            "loose": lambda c: run_loose(c, specs, DITHER, end(), leader, k),
            "planned": lambda c: run_plan(c, plan, DITHER, end(), k),
        }
        results = {}
        for name, run in runs.items():
            coord = coordinator(station, cams, "independent" if name == "independent" else name)
            res = await run(coord)
            spoiled = sum(1 for r in coord.log.exposures() if r.spoiled)
            steady = window_efficiency(coord)
            results[name] = (res, spoiled, steady)
            print(
                f"{name:<12} efficiency {steady:6.1%} (whole run {res.efficiency():6.1%})  "
                f"wall {res.wall:5.1f} s  dithers {res.dithers:3d}  "
                f"frames {sum(res.frames.values()):3d}  spoiled {spoiled:3d}",
                flush=True,
            )
        await station.aclose()
    finally:
        sim.stop()
    limit = limit_efficiency(list(specs.values()), dither_s)
    eff = {k: st for k, (_, _, st) in results.items()}
    print(f"{'limit':<12} efficiency {limit:6.1%}", flush=True)
    return {
        "planned_vs_limit": round(eff["planned"] / limit, 4),
        "strict_vs_limit": round(eff["strict"] / limit, 4),
        "planned_vs_strict": round(eff["planned"] / eff["strict"], 4),
        "independent_vs_limit": round(eff["independent"] / limit, 4),
        "loose_vs_limit": round(eff["loose"] / limit, 4),
        "efficiency": {k: round(v, 4) for k, v in eff.items()} | {"limit": round(limit, 4)},
        "whole_run_efficiency": {k: round(r.efficiency(), 4) for k, (r, _, _) in results.items()},
        "plan_model_efficiency": round(plan.efficiency(), 4),
        "strict_model_efficiency": round(
            strict_plan(list(specs.values()), dither_s).efficiency(), 4
        ),
        "spoiled_frames": {k: s for k, (_, s, _) in results.items()},
        "dithers": {k: r.dithers for k, (r, _, _) in results.items()},
        "measured_readout_s": {n: round(v, 3) for n, v in readouts.items()},
        "dither_s": round(dither_s, 3),
    }


def window_efficiency(coord: MountCoordinator) -> float:
    """Steady-state efficiency: between the end of the first and of the last dither.

    For the cycle-based policies that window holds whole cycles exactly, so the start-up and
    the ragged end of a run (cameras not starting frames past the end) do not count.
    """
    motions = sorted(coord.log.motions(), key=lambda m: m.end)
    if len(motions) < 2:
        raise RuntimeError(f"{coord.policy.name}: fewer than two dithers, no steady window")
    a, b = motions[0].end, motions[-1].end
    exposed = 0.0
    for r in coord.log.exposures():
        if r.counted:
            exposed += max(0.0, min(r.start + r.duration, b) - max(r.start, a))
    return exposed / (len(coord.cameras) * (b - a))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dithers", type=int, default=2, help="dithers per policy (at least 2)")
    args = ap.parse_args()
    t0 = time.monotonic()
    out = asyncio.run(main(max(2, args.dithers)))
    out["total_s"] = round(time.monotonic() - t0, 1)
    sys.stdout.flush()
    print(json.dumps(out))
