"""``obshub discover`` inside a private network namespace: a real simulator, a real responder.

Discovery broadcasts; it must never do so on the host network, so the whole scenario runs under
``unshare -n`` where only a loopback interface exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SCENARIO = r"""
import json, subprocess, sys, time
from obshub.devices.alpaca.discovery import DiscoveryResponder
from obshub.sim.process import AlpacaSimulatorProcess
import yaml
cfg = yaml.safe_load(open(sys.argv[1]))
sim = AlpacaSimulatorProcess(cfg, sys.argv[2]).start()
resp = DiscoveryResponder(sim.port).start()
try:
    out = {}
    for fmt in ("--json", "--yaml"):
        r = subprocess.run([sys.executable, "-m", "obshub.cli.main", "discover", "--timeout", "1", fmt],
                           capture_output=True, text=True, timeout=60)
        out[fmt] = [r.returncode, r.stdout, r.stderr]
    out["port"] = sim.port
    print("RESULT" + json.dumps(out))
finally:
    resp.stop()
    sim.stop()
"""


def _netns_ok() -> bool:
    return (
        bool(shutil.which("unshare"))
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    )


@pytest.mark.netns
def test_discover_in_private_network(tmp_path: Path, sky_catalog: Path):
    if not _netns_ok():
        pytest.skip(
            "needs unshare -n (root or user namespaces) to keep broadcasts off the host network"
        )
    from obshub.sim.alpaca import simulator_config
    from obshub.sim.stations import alpaca_station
    from obshub.station import parse_station

    station = parse_station(alpaca_station("127.0.0.1:1"))
    cfg = tmp_path / "sim.yaml"
    cfg.write_text(yaml.safe_dump(simulator_config(station, "sim", sky_catalog)))
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    r = subprocess.run(
        [
            "unshare",
            "-n",
            "sh",
            "-c",
            'ip link set lo up && exec "$0" "$@"',
            sys.executable,
            str(script),
            str(cfg),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, r.stdout + r.stderr
    out = json.loads(line[len("RESULT") :])
    rc, stdout, stderr = out["--json"]
    assert rc == 0, stderr
    servers = json.loads(stdout)
    assert [s["address"] for s in servers] == [f"127.0.0.1:{out['port']}"]
    found = {(d["device_type"], d["number"]) for d in servers[0]["devices"]}
    assert {("telescope", 0), ("camera", 0), ("filterwheel", 0), ("safetymonitor", 0)} <= found

    rc, stdout, _ = out["--yaml"]
    skeleton = yaml.safe_load(stdout)
    from obshub.station import parse_station as check

    # The skeleton is a valid station file once written.
    cfg2 = check(skeleton)
    assert cfg2.mounts[0].ports[0].camera.number == 0
