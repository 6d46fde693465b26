"""``obshub expose STATION_YAML [--camera NAME] --seconds S [--filter F] [--object NAME] --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import astropy.units as u

from obshub.cli._common import with_station
from obshub.frames import capture_frame
from obshub.station import Station


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("expose", help="take one frame and print the FITS path")
    p.add_argument("station", metavar="STATION_YAML")
    p.add_argument("--camera", help="mount.port or camera name (default: the first imaging camera)")
    p.add_argument("--seconds", type=_positive, required=True, help="exposure time in seconds")
    p.add_argument("--filter", help="filter name to select first")
    p.add_argument("--object", help="OBJECT header value")
    p.add_argument("--dark", action="store_true", help="keep the shutter closed")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def job(station: Station) -> Path:
        station.instrument(args.camera)  # fail fast on an unknown camera, before connecting
        await station.connect()
        path, _digest, _image = await capture_frame(
            station,
            args.out,
            instrument=args.camera,
            duration=args.seconds * u.s,
            filter=args.filter,
            object=args.object,
            light=not args.dark,
        )
        return path

    try:
        print(with_station(args.station, job))
    except KeyError as exc:
        print(f"obshub expose: {exc.args[0]}", file=sys.stderr)
        return 1
    return 0
