"""Request files: validation with key paths, offline name resolution, refusal of the impossible."""

from __future__ import annotations

import astropy.units as u
import pytest
from astropy.time import Time
from sched_helpers import OHP, SSO, request, telescope

from obshub.errors import ConfigError
from obshub.scheduler.constraints import AirmassConstraint, AltitudeConstraint, AtNightConstraint
from obshub.scheduler.requests import (
    UnobservableRequest,
    check_observable,
    load_requests,
    parse_requests,
)
from obshub.scheduler.targets import TargetCatalog, UnknownTarget, default_catalog


def test_catalog_resolves_names_and_aliases_offline():
    cat = default_catalog()
    assert len(cat) >= 50
    m31 = cat.resolve("m 31")
    assert cat.resolve("Andromeda Galaxy") is m31
    assert abs(m31.ra - 10.6846) < 0.01 and abs(m31.dec - 41.269) < 0.01
    assert cat.resolve("alpha cma").name == "Sirius"
    with pytest.raises(UnknownTarget, match="did you mean"):
        cat.resolve("M311")


def test_user_catalog_file(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("name,aliases,ra,dec\nMy Nova,N Cyg 2026,20h00m00s,+40d00m00s\n")
    cat = TargetCatalog([path])
    assert cat.resolve("n cyg 2026").dec == pytest.approx(40.0)
    assert "Vega" in cat


def test_parse_full_request_file():
    rs = parse_requests(
        {
            "night": "2026-04-15",
            "programs": {"club": {"share": 2}},
            "requests": [
                {
                    "id": "a",
                    "target": "M13",
                    "exposures": [{"filter": "L", "seconds": "2 min", "count": 3}],
                    "constraints": {
                        "min_altitude": "35 deg",
                        "max_airmass": 1.8,
                        "twilight": "nautical",
                    },
                    "cadence": {"period": "1 h", "tolerance": 10, "visits": 3},
                    "priority": 8,
                    "program": "club",
                },
                {
                    "id": "b",
                    "target": {"name": "X", "ra": 10.5, "dec": -5},
                    "exposures": [{"seconds": 30}],
                },
            ],
        }
    )
    a, b = rs.requests
    assert a.exposures[0].seconds == 120 and a.exposures[0].count == 3
    assert a.constraint(AltitudeConstraint).lo == 35
    assert a.constraint(AirmassConstraint).hi == 1.8
    assert a.constraint(AtNightConstraint).hi == -12
    assert a.cadence.period_s == 3600 and a.cadence.tolerance_s == 600
    assert a.duration_s == pytest.approx(3 * 122)
    assert b.target.ra == 10.5 and b.constraint(AtNightConstraint).hi == -18  # defaults
    assert rs.night == "2026-04-15" and rs.programs["club"].share == 2


def test_every_problem_is_reported_with_its_key_path():
    with pytest.raises(ConfigError) as exc:
        parse_requests(
            {
                "requests": [
                    {"id": "a", "target": "M13", "exposures": [{"seconds": -1}], "priorty": 3},
                    {
                        "id": "b",
                        "target": "M13",
                        "exposures": [],
                        "constraints": {"twilight": "dusk"},
                    },
                ]
            }
        )
    paths = {p for p, _ in exc.value.problems}
    assert "requests[0].exposures[0].seconds" in paths
    assert "requests[0].priorty" in paths
    assert "requests[1].exposures" in paths
    assert "requests[1].constraints.twilight" in paths


def test_unknown_target_and_duplicate_ids(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "requests:\n"
        "  - {id: a, target: Vegaa, exposures: [{seconds: 10}]}\n"
        "  - {id: a, target: Vega, exposures: [{seconds: 10}]}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_requests(path)
    text = str(exc.value)
    assert "requests[0].target" in text and "unknown target 'Vegaa'" in text and "vega" in text
    assert "requests[1].id" in text and "duplicate" in text


def test_never_rising_target_is_refused_with_reason():
    acrux = request("acrux", 186.65, -63.1)
    with pytest.raises(
        UnobservableRequest, match="this request can never be observed: .*culminates"
    ):
        check_observable(acrux, [telescope("ohp/t1")])
    check_observable(acrux, [telescope("ohp/t1"), telescope("sso/t1", SSO)])  # fine from Australia


def test_no_capable_telescope_is_refused():
    r = request("ha", 10, 41, exposures=None, instrument="spectroscopy")
    with pytest.raises(UnobservableRequest, match="no capable telescope.*no spectroscopy port"):
        check_observable(r, [telescope("ohp/t1")])
    from obshub.scheduler.requests import Exposure

    r = request("sii", 10, 41, exposures=(Exposure("SII", 60, 2),))
    with pytest.raises(UnobservableRequest, match=r"filters \['SII'\] missing"):
        check_observable(r, [telescope("ohp/t1")])


def test_window_without_dark_time_is_refused():
    start = Time("2026-06-21T10:00:00")  # broad daylight in Provence
    r = request("day", 90, 20, window=(start, start + 3 * u.hour))
    with pytest.raises(UnobservableRequest, match="no dark time"):
        check_observable(r, [telescope("ohp/t1", OHP)])


def test_window_passed_and_too_short():
    start = Time("2026-03-15T20:00:00")
    r = request("late", 90, 20, minutes=60, window=(start, start + 30 * u.min))
    with pytest.raises(UnobservableRequest, match="shorter than the observation"):
        check_observable(r, [telescope("ohp/t1")])
    r = request("past", 90, 20, minutes=10, window=(start, start + 30 * u.min))
    with pytest.raises(UnobservableRequest, match="window ended"):
        check_observable(r, [telescope("ohp/t1")], now=start + 1 * u.hour)


def test_make_request_from_astropy_objects():
    from astropy.coordinates import SkyCoord

    from obshub.scheduler.requests import make_request

    start = Time("2026-03-15T20:00:00")
    r = make_request(
        "nova",
        SkyCoord("20h00m00s", "+40d00m00s"),
        [("R", 2 * u.min, 5), ("B", 90 * u.s, 5)],
        min_altitude=35 * u.deg,
        min_moon_separation=0.5 * u.rad,
        window=(start, start + 5 * u.hour),
        cadence=(1 * u.hour, 5 * u.min, 3),
        urgency="interrupt",
        priority=9,
    )
    assert r.target.ra == pytest.approx(300.0) and r.target.name == "nova"
    assert r.exposures[0].seconds == 120 and r.exposures[1].seconds == 90
    assert r.constraint(AltitudeConstraint).lo == 35
    assert r.cadence.period_s == 3600 and r.cadence.tolerance_s == 300
    assert r.urgency == "interrupt" and r.window[0] == start
    assert make_request("m", "M13", [(None, 30 * u.s)]).target.name == "M13"
    with pytest.raises(ConfigError, match="priority"):
        make_request("bad", "M13", [(None, 30 * u.s)], priority=11)
    with pytest.raises(ConfigError, match="unknown target"):
        make_request("bad", "M1313", [(None, 30 * u.s)])
