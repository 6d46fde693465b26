"""``obshub demo``: bring the demo station up on its simulators and show it live."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from obshub.cli.status import render
from obshub.sim.manager import SimManager
from obshub.station import Station, load_station

DEFAULT_STATION = Path("examples/demo-station.yaml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="start the demo station's simulators and show its live status")
    p.add_argument(
        "--station", default=str(DEFAULT_STATION), help="station file (default: the demo)"
    )
    p.add_argument("--once", action="store_true", help="print the status once and exit")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    p.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (0: never)"
    )
    p.set_defaults(func=run)


async def _live(path: str, once: bool, interval: float, duration: float) -> int:
    station = Station.from_file(path)
    try:
        await station.connect()
        t0 = time.monotonic()
        while True:
            status = await station.status()
            text = render(status)
            if once:
                print(text)
                return 0 if all(d["ok"] for d in status["devices"].values()) else 1
            # Redraw in place on a terminal; plain lines when piped to a log.
            prefix = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
            print(f"{prefix}{text}\n\n{time.strftime('%H:%M:%S')}  (Ctrl-C to stop)", flush=True)
            if duration and time.monotonic() - t0 >= duration:
                return 0
            await asyncio.sleep(interval)
    finally:
        await station.aclose()


def run(args: argparse.Namespace) -> int:
    cfg = load_station(args.station)
    procs = SimManager().start(cfg)
    for p in procs:
        print(f"simulator {p.server} on {p.address} (pid {p.pid}); log {p.log}")
    return asyncio.run(_live(args.station, args.once, args.interval, args.duration))
