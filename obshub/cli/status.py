"""``obshub status STATION_YAML [--json]``: every device's state."""

from __future__ import annotations

import argparse
import json
from typing import Any

from obshub.cli._common import with_station
from obshub.station import Station

_SKIP = {"name", "kind", "protocol", "address", "ok", "error", "reachable"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="print every device's state")
    p.add_argument("station", metavar="STATION_YAML")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return ", ".join(f"{v.get('outlet') or v.get('name')}={v.get('value')}" for v in value)
    return str(value)


def render(status: dict[str, Any]) -> str:
    """A status snapshot as an aligned, human-readable table."""
    lines = [f"{status['station']}"]
    width = max((len(n) for n in status["devices"]), default=0)
    for name, dev in status["devices"].items():
        head = f"  {name:<{width}}  {dev['kind']:<19}"
        if not dev.get("ok"):
            lines.append(f"{head} DOWN  {dev.get('error')}")
            continue
        fields = "  ".join(
            f"{k}={_fmt(v)}" for k, v in dev.items() if k not in _SKIP and v is not None
        )
        lines.append(f"{head} ok    {fields}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    async def job(station: Station) -> dict[str, Any]:
        await station.connect()
        return await station.status()

    status = with_station(args.station, job)
    print(json.dumps(status, indent=2) if args.json else render(status))
    # Exit 1 when any device is down, so scripts and monitors can act on it.
    return 0 if all(d.get("ok") for d in status["devices"].values()) else 1
