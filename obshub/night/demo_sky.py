"""The demo sky: requests that are observable *now*, whatever the time of day.

The demo must show a night in progress even at noon. So its requests are made at run time for
targets that are high in the demo site's sky now and for the next hour, and they relax the
darkness constraint (``constraints: {max_sun_altitude: 90}``, the scheduler's "ignore the Sun");
the executor then ignores the Sun too (``sun_max_altitude: 90``). The simulators' sky is
synthetic, so a "night" by day is a fair demonstration of the machinery, not of the sky.

Targets come from obshub's offline catalogue (``obshub/data/targets.csv``); when fewer are
high enough, "Demo field" targets near the meridian at declination +55° fill in (always high
at a northern mid-latitude site).
"""

from __future__ import annotations

import csv
import itertools
import logging
from importlib import resources
from typing import Any

import astropy.units as u
import numpy as np
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time

from obshub.station.model import StationConfig

log = logging.getLogger(__name__)

#: Who asks for what in the demo: (user, program). They are the hub's demo users.
DEMO_OBSERVERS = [("alice", "club"), ("bob", "club"), ("carl", "survey")]

EXPOSURES = [{"filter": "L", "seconds": 2, "count": 3}, {"filter": "R", "seconds": 2, "count": 2}]


def _catalog() -> list[tuple[str, float, float]]:
    with resources.files("obshub.data").joinpath("targets.csv").open() as fh:
        rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
        names, ras, decs = [], [], []
        for row in rows:
            names.append(row["name"].strip())
            ras.append(row["ra"])
            decs.append(row["dec"])
    c = SkyCoord(ras, decs, unit=(u.hourangle, u.deg), frame="icrs")
    return list(zip(names, c.ra.deg, c.dec.deg, strict=True))


def high_targets(
    cfg: StationConfig, now: Time, n: int, *, min_altitude: float = 45.0, hours: float = 1.0
) -> list[tuple[str, float, float]]:
    """Up to ``n`` (name, ra, dec) above ``min_altitude`` from now for ``hours``, highest first."""
    s = cfg.site
    loc = EarthLocation(lat=s.latitude * u.deg, lon=s.longitude * u.deg, height=s.elevation * u.m)
    cat = _catalog()
    coords = SkyCoord([c[1] for c in cat] * u.deg, [c[2] for c in cat] * u.deg)
    times = now + np.linspace(0, hours, 3) * u.h
    alts = np.stack(
        [coords.transform_to(AltAz(obstime=t, location=loc)).alt.deg for t in times]
    ).min(axis=0)
    order = [i for i in np.argsort(-alts) if min_altitude <= alts[i] <= 85.0]
    out = [cat[i] for i in order[:n]]
    lst = now.sidereal_time("mean", longitude=s.longitude * u.deg).deg
    dec = 55.0 if s.latitude >= 0 else -55.0
    for k in itertools.count():
        if len(out) >= n:
            break
        out.append((f"Demo field {k + 1}", float((lst + 10 + 8 * k) % 360), dec))
    return out


def demo_requests(cfg: StationConfig, now: Time, n: int = 4, tag: str = "") -> list[dict[str, Any]]:
    """``n`` request documents (scheduler schema) for targets high now, by the demo users."""
    tag = tag or now.utc.strftime("%H%M%S")
    out = []
    for k, (name, ra, dec) in enumerate(high_targets(cfg, now, n)):
        owner, program = DEMO_OBSERVERS[k % len(DEMO_OBSERVERS)]
        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
        out.append(
            {
                "id": f"demo-{tag}-{k + 1}-{slug}"[:80],
                "target": {"name": name, "ra": round(float(ra), 5), "dec": round(float(dec), 5)},
                "exposures": [dict(x) for x in EXPOSURES],
                "constraints": {"min_altitude": 30, "max_sun_altitude": 90},
                "priority": 5 + (k % 3),
                "owner": owner,
                "program": program,
            }
        )
    return out


class DemoSky:
    """A request source playing the demo users: a batch of requests now and every ``period``.

    With the service's queue (``queue``: a :class:`~obshub.night.sources.ServiceQueue`), the
    requests are submitted there as the demo users, so the queue dashboard shows them filling
    and emptying and the frames are attributed through ``OBSBLOCK``; without it, they go
    straight to the loop.
    """

    def __init__(
        self,
        cfgs: dict[str, StationConfig],
        *,
        n: int = 4,
        period: float = 240.0,
        queue: Any = None,
    ):
        self.cfgs = cfgs
        self.n = n
        self.period = period
        self.queue = queue
        self._last: dict[str, float] = {}

    def poll(self, site: str) -> list:
        from obshub.night.sources import Incoming
        from obshub.scheduler.requests import RequestSpec, build_request

        now = Time.now()
        if site not in self.cfgs or now.unix - self._last.get(site, -1e12) < self.period:
            return []
        self._last[site] = now.unix
        docs = demo_requests(self.cfgs[site], now, self.n)
        if self.queue is not None:
            for d in docs:
                owner = d.pop("owner")
                try:
                    self.queue.submit(site, owner, d)
                except Exception as exc:  # the service not up yet: keep them local
                    log.warning("demo sky: cannot queue %s: %s", d["id"], exc)
                    d["owner"] = owner
                    break
            else:
                return []  # the service queue hands them to the loop
            docs = [d for d in docs if "owner" in d]
        return [Incoming(build_request(RequestSpec.model_validate(d)), site) for d in docs]

    def finished(self, item: Any, state: str) -> None:
        return None

    def active(self, item: Any) -> bool:
        return True
