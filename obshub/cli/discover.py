"""``obshub discover``: find Alpaca servers by the discovery protocol and list their devices."""

from __future__ import annotations

import argparse
import asyncio
import json

import yaml

from obshub.devices.alpaca.discovery import FoundServer, discover

_KINDS = {
    "telescope": "mount",
    "camera": "camera",
    "filterwheel": "filter_wheel",
    "focuser": "focuser",
    "rotator": "rotator",
    "dome": "dome",
    "covercalibrator": "cover",
    "safetymonitor": "safety_monitor",
    "observingconditions": "observing_conditions",
    "switch": "switch",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "discover", help="find Alpaca servers on the local network and their devices"
    )
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for answers")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--yaml", action="store_true", help="print a station-file skeleton")
    p.set_defaults(func=run)


def skeleton(servers: list[FoundServer]) -> dict[str, object]:
    """A station-file starting point naming every device found (edit site and ports)."""
    out: dict[str, object] = {
        "site": {"name": "My Observatory", "latitude": 0.0, "longitude": 0.0, "elevation": 0.0},
        "servers": {},
        "mounts": [],
    }
    for i, srv in enumerate(servers):
        name = f"server{i + 1}"
        out["servers"][name] = {"protocol": "alpaca", "address": srv.address}  # type: ignore[index]
        by = {}
        for d in srv.devices:
            by.setdefault(d.device_type, []).append(d.number)
        for n in by.get("telescope", []):
            port: dict[str, object] = {
                "name": "imaging",
                "camera": {"server": name, "number": (by.get("camera") or [0])[0]},
            }
            for dtype, key in (
                ("filterwheel", "filter_wheel"),
                ("focuser", "focuser"),
                ("rotator", "rotator"),
            ):
                if by.get(dtype):
                    port[key] = {"server": name, "number": by[dtype][0]}
            out["mounts"].append(
                {"name": f"mount{n}", "device": {"server": name, "number": n}, "ports": [port]}
            )  # type: ignore[union-attr]
        for dtype in ("dome", "covercalibrator", "safetymonitor", "observingconditions"):
            if by.get(dtype):
                out.setdefault(_KINDS[dtype], {"server": name, "number": by[dtype][0]})
        if by.get("switch"):
            out.setdefault("switches", []).append(
                {"name": f"power{i + 1}", "device": {"server": name, "number": by["switch"][0]}}
            )  # type: ignore[union-attr]
    return out


def run(args: argparse.Namespace) -> int:
    servers = asyncio.run(discover(args.timeout))
    if args.json:
        print(json.dumps([s.as_dict() for s in servers], indent=2))
    elif args.yaml:
        print(yaml.safe_dump(skeleton(servers), sort_keys=False))
    else:
        if not servers:
            print("no Alpaca server answered")
        for s in servers:
            print(f"{s.address}  ({s.source}{', ' + s.error if s.error else ''})")
            for d in s.devices:
                print(f"    {d.device_type:20} #{d.number}  {d.name}")
    return 0 if servers else 1
