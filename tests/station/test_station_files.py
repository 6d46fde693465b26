"""Station files: the examples validate, and each broken file gets its own clear message."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from obshub.errors import ConfigError
from obshub.sim.stations import alpaca_station
from obshub.station import load_station, parse_station

ROOT = Path(__file__).resolve().parents[2]
GOOD = alpaca_station("127.0.0.1:32323")


def test_demo_station_loads():
    cfg = load_station(ROOT / "examples" / "demo-station.yaml")
    kinds = {k for _, k, _ in cfg.device_refs()}
    assert kinds == {
        "mount",
        "camera",
        "filterwheel",
        "focuser",
        "rotator",
        "dome",
        "cover",
        "safetymonitor",
        "observingconditions",
        "switch",
    }
    assert cfg.servers["demo-sim"].timeout == 5.0


def _broken(edit):
    data = copy.deepcopy(GOOD)
    edit(data)
    return data


def _set(path, value):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _delete(path):
    def edit(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


CASES = [
    ("missing site", _delete(["site"]), "site", "required key is missing"),
    (
        "latitude out of range",
        _set(["site", "latitude"], 123),
        "site.latitude",
        "less than or equal to 90",
    ),
    (
        "unknown timezone",
        _set(["site", "timezone"], "Mars/Olympus"),
        "site.timezone",
        "unknown timezone",
    ),
    ("misspelt key", _set(["site", "elevaton"], 3), "site.elevaton", "unknown key"),
    (
        "bad address",
        _set(["servers", "sim", "address"], "localhost"),
        "servers.sim.address",
        "host:port",
    ),
    (
        "bad protocol",
        _set(["servers", "sim", "protocol"], "ascom"),
        "servers.sim.protocol",
        "'alpaca' or 'indi'",
    ),
    (
        "negative timeout",
        _set(["servers", "sim", "timeout"], -1),
        "servers.sim.timeout",
        "greater than 0",
    ),
    (
        "timeout not a duration",
        _set(["servers", "sim", "timeout"], "soon"),
        "servers.sim.timeout",
        "not a duration",
    ),
    (
        "unknown server",
        _set(["mounts", 0, "device", "server"], "nope"),
        "mounts[0].device.server",
        "no server named 'nope'",
    ),
    ("no ports", _set(["mounts", 0, "ports"], []), "mounts[0].ports", "at least 1 item"),
    (
        "camera missing",
        _delete(["mounts", 0, "ports", 0, "camera"]),
        "mounts[0].ports[0].camera",
        "required key is missing",
    ),
    (
        "duplicate filters",
        _set(["mounts", 0, "ports", 0, "filter_wheel", "filters"], ["L", "L"]),
        "mounts[0].ports[0].filter_wheel.filters",
        "duplicate filter names",
    ),
    (
        "bad script path",
        _set(["mounts", 0, "ports", 0, "script"], "not a path"),
        "mounts[0].ports[0].script",
        "should match pattern",
    ),
    (
        "indi name on alpaca",
        _set(["dome", "device"], "Dome Simulator"),
        "dome.device",
        "named by 'number'",
    ),
    (
        "horizon not increasing",
        _set(["site", "horizon"], {"profile": [[90, 10], [10, 10]]}),
        "site.horizon.profile",
        "azimuths must increase",
    ),
]


@pytest.mark.parametrize(("label", "edit", "path", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_station_file(label, edit, path, message):
    data = _broken(edit)
    with pytest.raises(ConfigError) as info:
        parse_station(data, "station.yaml")
    err = info.value
    assert err.source == "station.yaml"
    assert any(p == path and message in m for p, m in err.problems), err.problems
    assert path in str(err) and "station.yaml" in str(err)


def test_several_problems_reported_at_once():
    data = copy.deepcopy(GOOD)
    data["site"]["latitude"] = 100
    data["servers"]["sim"]["address"] = "nowhere"
    data["mounts"][0]["type"] = "dobsonian"
    with pytest.raises(ConfigError) as info:
        parse_station(data)
    paths = {p for p, _ in info.value.problems}
    assert {"site.latitude", "servers.sim.address", "mounts[0].type"} <= paths


def test_device_used_twice_is_refused():
    data = copy.deepcopy(GOOD)
    data["mounts"][0]["ports"].append({"name": "second", "camera": {"server": "sim", "number": 0}})
    with pytest.raises(ConfigError, match="same device as main.imaging.camera"):
        parse_station(data)


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("site:\n  name: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_station(f)
    assert str(f) in str(info.value) and "line" in info.value.problems[0][0]


def test_missing_file_and_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="cannot read file"):
        load_station(tmp_path / "nope.yaml")
    f = tmp_path / "list.yaml"
    f.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_station(f)


def test_cli_check(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(GOOD))
    r = subprocess.run(
        [sys.executable, "-m", "obshub.cli.main", "check", str(good)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "OK" in r.stdout
    bad = tmp_path / "bad.yaml"
    data = copy.deepcopy(GOOD)
    data["site"]["latitude"] = 100
    data["servers"]["sim"]["address"] = "nowhere"
    bad.write_text(yaml.safe_dump(data))
    r = subprocess.run(
        [sys.executable, "-m", "obshub.cli.main", "check", str(bad)], capture_output=True, text=True
    )
    assert r.returncode == 1
    assert (
        "2 problem(s)" in r.stderr
        and "site.latitude" in r.stderr
        and "servers.sim.address" in r.stderr
    )
