"""Small scheduling instances shared by the scheduler tests (imported as ``sched_helpers``)."""

from __future__ import annotations

import numpy as np

import obshub  # noqa: F401  (offline astropy)
from obshub.scheduler.constraints import (
    AirmassConstraint,
    AltitudeConstraint,
    AtNightConstraint,
    MoonSeparationConstraint,
)
from obshub.scheduler.requests import Exposure, Request
from obshub.scheduler.targets import Target
from obshub.scheduler.telescopes import InstrumentCaps, Site, Telescope

NIGHT = "2026-03-15"
OHP = Site("Haute-Provence", 43.93, 5.71, 650.0)
KITT = Site("Kitt Peak", 31.96, -111.6, 2096.0)
SSO = Site("Siding Spring", -31.27, 149.06, 1165.0)
LRGB = (InstrumentCaps("imaging", "imaging", ("L", "R", "G", "B", "Ha")),)

STANDARD = (
    AltitudeConstraint(30.0),
    AirmassConstraint(hi=2.0),
    AtNightConstraint.twilight("astronomical"),
    MoonSeparationConstraint(lo=20.0),
)


def telescope(tid: str, site: Site = OHP, **kw) -> Telescope:
    return Telescope(tid, site, instruments=kw.pop("instruments", LRGB), **kw)


def request(
    rid: str, ra: float, dec: float, minutes: float = 20, priority: float = 5, **kw
) -> Request:
    kw.setdefault("constraints", STANDARD)
    exposures = kw.pop("exposures", None) or (Exposure("L", minutes * 60 - 2, 1),)
    return Request(rid, Target(kw.pop("name", rid), ra, dec), exposures, priority=priority, **kw)


def random_requests(n: int, seed: int, *, dec_range=(-30, 80)) -> list[Request]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ra = rng.uniform(0, 360)
        dec = rng.uniform(*dec_range)
        out.append(request(f"r{i}", ra, dec, rng.uniform(5, 60), int(rng.integers(1, 11))))
    return out
