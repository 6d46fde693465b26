"""Telescopes from station files, horizons, and sites without a night."""

from __future__ import annotations

import astropy.units as u
import numpy as np
from astropy.time import Time
from sched_helpers import request, telescope

from obshub.scheduler.schedule import schedule
from obshub.scheduler.telescopes import Site, load_telescopes, telescopes_from_station
from obshub.scheduler.validator import validate_plan
from obshub.sim.stations import alpaca_station, write_station
from obshub.station import parse_station


def test_telescopes_from_station_file(tmp_path):
    data = alpaca_station("127.0.0.1:5555", cameras=2, name="Club Site")
    data["mounts"].append(
        {
            "name": "spectro",
            "device": {"server": "sim", "number": 1},
            "cooperates_with": ["main"],
            "ports": [
                {"name": "spec", "kind": "spectroscopy", "camera": {"server": "sim", "number": 2}}
            ],
        }
    )
    tels = telescopes_from_station(parse_station(data))
    main, spec = tels
    assert main.id == "Club-Site/main" and spec.id == "Club-Site/spectro"
    assert main.site.latitude == data["site"]["latitude"]
    assert main.can_do("imaging", {"Ha", "R"}) is None
    assert "missing" in main.can_do("imaging", {"OIII"})
    assert main.can_do("spectroscopy", set()) == "no spectroscopy port"
    assert spec.can_do("spectroscopy", set()) is None
    assert spec.cooperates_with == ("Club-Site/main",)
    assert main.slew_rate == 90.0  # the simulator's
    path = write_station(data, tmp_path / "club.yaml")
    assert [t.id for t in load_telescopes(path)] == [main.id, spec.id]


def test_horizon_profile_is_respected():
    blocked_south = Site(
        "Valley", 43.93, 5.71, 650.0, min_altitude=15.0, horizon=((0, 15), (90, 70), (270, 70))
    )
    tels = [telescope("valley/t1", blocked_south)]
    got = blocked_south.horizon_altitude(np.array([0.0, 45.0, 180.0, 315.0]))
    assert np.allclose(got, [15, 42.5, 70, 42.5])
    # a southern target: hidden all night by the hills to the south
    low_south = request("low", 150.0, -10.0, constraints=())
    high = request("high", 150.0, 60.0, constraints=())
    plan, _ = schedule([low_south, high], tels, "2026-03-15", time_limit=1)
    assert plan.entry("high")
    why = plan.why("low")[0]
    assert why.reason == "never_visible" and "horizon" in why.message, why
    assert validate_plan(plan, [low_south, high], tels) == []


def test_midsummer_arctic_site_has_no_night():
    svalbard = Site("Svalbard", 78.2, 15.6, 10.0)
    r = request("r", 100.0, 60.0)
    plan, problem = schedule([r], [telescope("sval/t1", svalbard)], "2026-06-21", time_limit=1)
    assert problem.nights["Svalbard"].n_times == 0
    assert (
        plan.unscheduled[0].reason == "never_visible" and "no night" in plan.unscheduled[0].message
    )


def test_downtime_window_blocks_time():
    start = Time("2026-03-15T20:00:00")
    from obshub.scheduler.telescopes import Downtime

    t = telescope("ohp/t1").with_downtime(Downtime(start, start + 6 * u.hour, "maintenance"))
    r = request("r", 150.0, 30.0, minutes=30)
    plan, _ = schedule([r], [t], "2026-03-15", time_limit=1)
    for e in plan.entries:
        assert e.end <= start or e.start >= start + 6 * u.hour
    assert validate_plan(plan, [r], [t]) == []
