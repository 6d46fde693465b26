"""Station descriptions for simulators, for tests, benchmarks and demos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEMO_SITE: dict[str, Any] = {
    "name": "Demo Observatory",
    "latitude": 43.93,
    "longitude": 5.71,
    "elevation": 650.0,
    "timezone": "Europe/Paris",
    "horizon": {"min_altitude": 20.0},
}


def alpaca_station(
    address: str,
    *,
    name: str = "Demo Observatory",
    mount: str = "main",
    cameras: int = 1,
    simulator: bool = True,
    timeout: float = 5.0,
    site: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-mount station served by one Alpaca simulator at ``address``.

    With ``cameras`` > 1 the mount carries that many imaging ports (``imaging``, ``imaging2``, …),
    camera N being the simulator's camera N: several cameras on one mount.
    """
    server = {"protocol": "alpaca", "address": address, "timeout": timeout}
    if simulator:
        server["simulator"] = {"focal_length": 0.4, "slew_rate": 90.0, "cameras": cameras}
    ports = []
    for n in range(cameras):
        port: dict[str, Any] = {
            "name": "imaging" if n == 0 else f"imaging{n + 1}",
            "kind": "imaging",
            "camera": {"server": "sim", "number": n, "download_timeout": 60},
        }
        if n == 0:
            port |= {
                "filter_wheel": {
                    "server": "sim",
                    "number": 0,
                    "filters": ["L", "R", "G", "B", "Ha"],
                },
                "focuser": {"server": "sim", "number": 0},
                "rotator": {"server": "sim", "number": 0},
            }
        ports.append(port)
    return {
        "site": dict(site or DEMO_SITE, name=name),
        "observer": "obshub tests",
        "servers": {"sim": server},
        "mounts": [
            {
                "name": mount,
                "device": {"server": "sim", "number": 0, "motion_timeout": 60},
                "ports": ports,
            }
        ],
        "dome": {"server": "sim", "number": 0},
        "cover": {"server": "sim", "number": 0},
        "safety_monitor": {"server": "sim", "number": 0},
        "observing_conditions": {"server": "sim", "number": 0},
        "switches": [
            {"name": "power", "device": {"server": "sim", "number": 0}, "outlets": {"mount": 0}}
        ],
    }


def write_station(data: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
