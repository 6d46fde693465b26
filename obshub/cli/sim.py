"""``obshub sim start|stop|status [STATION_YAML]``: the real simulators for a station file."""

from __future__ import annotations

import argparse
import json

from obshub.sim.manager import SimManager, describe
from obshub.station import load_station

DEFAULT_STATION = "examples/demo-station.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run the simulators a station file describes, in the background")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("station", metavar="STATION_YAML", nargs="?", default=DEFAULT_STATION)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_station(args.station)
    mgr = SimManager()
    procs = getattr(mgr, args.action)(cfg)
    if args.json:
        print(json.dumps(describe(procs), indent=2))
        return 0
    if not procs:
        print(f"{args.station}: no server has a 'simulator:' block")
    for p in procs:
        state = f"running (pid {p.pid})" if p.running else "stopped"
        print(f"{p.server:16} {p.protocol:7} {p.address:22} {state}   log: {p.log}")
    if args.action == "start" and not all(p.running for p in procs):
        return 1
    return 0
