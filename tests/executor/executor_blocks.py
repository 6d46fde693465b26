"""Block files for the executor tests: a short block on a target high in the sky now."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def high_target(station_yaml: Path, alt: float = 70.0, az: float = 120.0) -> tuple[float, float]:
    """RA, Dec (degrees) of a point high in the station's sky now: the simulator makes stars
    only where the mount points, and a block refuses targets below the horizon limit."""
    import astropy.units as u
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    from obshub.station import load_station
    from obshub.station.station import Station

    loc = Station(load_station(station_yaml)).location
    c = SkyCoord(alt=alt * u.deg, az=az * u.deg, frame=AltAz(obstime=Time.now(), location=loc))
    return float(c.icrs.ra.deg), float(c.icrs.dec.deg)


def block_dict(station_yaml: Path, name: str = "test-block", **over: Any) -> dict[str, Any]:
    """A short block on a high target: 0.2-0.3 s frames, fast settle, 1 s safe period."""
    ra, dec = high_target(station_yaml)
    b: dict[str, Any] = {
        "name": name,
        "target": {"name": "field", "ra": ra, "dec": dec},
        "exposures": [
            {"filter": "L", "exposure": 0.3, "count": 3},
            {"filter": "R", "exposure": 0.2, "count": 2},
        ],
        "dither": {"pattern": "random", "every": 2, "amount": 15, "settle": 0.1},
        "constraints": {"sun_max_altitude": 90},
        "executor": {
            "safe_period": 1.0,
            "poll_interval": 0.5,
            "slew_settle": 0.1,
            "backoff": 0.2,
            "max_backoff": 1.0,
            "device_down_after": 30,
        },
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(b.get(k), dict):
            b[k] = {**b[k], **v}
        else:
            b[k] = v
    return b


def write_block(data: dict[str, Any], path: Path) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
