"""``obshub schedule`` on the demo station and the example requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "obshub.cli.main", "schedule", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_schedule_demo_night_json(tmp_path):
    out = tmp_path / "plan.json"
    r = _run(
        "examples/demo-station.yaml",
        "examples/requests/demo-night.yaml",
        "--json",
        "--time-limit",
        "2",
        "--save",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["night"] == "2026-04-15"
    assert {e["request"] for e in doc["entries"]} >= {"m13-lrgb", "t-crb-watch"}
    why = {x["request"]: x["reason"] for x in doc["unscheduled"]}
    assert why["orion-public"] == "share_used_up"
    assert why["sirius-late"] == "never_visible"
    assert "acrux-from-france" in r.stderr and "can never be observed" in r.stderr
    assert json.loads(out.read_text())["entries"] == doc["entries"]


def test_schedule_text_and_bad_file(tmp_path):
    r = _run("examples/demo-station.yaml", "examples/requests/demo-night.yaml", "--no-optimize")
    assert r.returncode == 0, r.stderr
    assert "Demo-Observatory/main" in r.stdout and "not scheduled:" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "requests:\n  - {id: x, target: M13, exposures: [{seconds: 10}], priority: 99}\n"
    )
    r = _run("examples/demo-station.yaml", str(bad))
    assert r.returncode == 1
    assert "requests[0].priority" in r.stderr


def test_schedule_two_stations_network_and_plot(tmp_path):
    from obshub.sim.stations import alpaca_station, write_station

    south = alpaca_station(
        "127.0.0.1:5556",
        name="South Station",
        site={"name": "x", "latitude": -31.27, "longitude": 149.06, "elevation": 1165.0},
    )
    path = write_station(south, tmp_path / "south.yaml")
    png = tmp_path / "plan.png"
    r = _run(
        "examples/demo-station.yaml",
        str(path),
        "examples/requests/demo-night.yaml",
        "--json",
        "--time-limit",
        "1",
        "--plot",
        str(png),
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["telescopes"] == ["Demo-Observatory/main", "South-Station/main"]
    assert "acrux-from-france" in {e["request"] for e in doc["entries"]}  # seen from Australia
    assert png.stat().st_size > 1000
