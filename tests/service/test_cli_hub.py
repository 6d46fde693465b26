"""``obshub hub``: prints the URL and demo logins, serves the service, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from obshub.service.hubprocess import kill_tree, port_busy
from obshub.sim.process import free_port


@pytest.mark.slow
def test_obshub_hub_runs_and_stops(station_file, tmp_path):
    ports = [free_port() for _ in range(4)]
    assert not any(port_busy(p) for p in ports)
    env = {
        **os.environ,
        "OBSHUB_HOME": str(tmp_path / "home"),
        "OBSHUB_HUB_API_PORT": str(ports[1]),
        "OBSHUB_PROXY_API_PORT": str(ports[2]),
        "OBSHUB_SERVICE_PORT": str(ports[3]),
        "OBSHUB_IDLE_TIMEOUT": "0",
    }
    env.pop("OBSHUB_AUTH", None)
    out = tmp_path / "out.log"
    with open(out, "wb") as f:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "obshub.cli.main",
                "hub",
                "--station",
                str(station_file),
                "--port",
                str(ports[0]),
            ],
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{ports[0]}/"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "services/obshub/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, out.read_text()[-3000:]
            time.sleep(0.3)
        else:
            pytest.fail(out.read_text()[-3000:])
        text = out.read_text()
        assert f"obshub hub: {url}" in text
        assert "alice" in text and "password 'obshub'" in text
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0 or proc.returncode in (-signal.SIGTERM, 143, 1)
        gone, alive = psutil.wait_procs(children, timeout=20)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        kill_tree(proc)
