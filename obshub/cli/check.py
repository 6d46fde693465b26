"""``obshub check STATION_YAML``: validate a station file."""

from __future__ import annotations

import argparse
import sys

from obshub.errors import ConfigError
from obshub.station import load_station


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate a station file (exit 1 with every problem)")
    p.add_argument("station", metavar="STATION_YAML")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_station(args.station)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    n = len(cfg.device_refs())
    print(f"{args.station}: OK — site {cfg.site.name!r}, {len(cfg.mounts)} mount(s), {n} device(s)")
    return 0
