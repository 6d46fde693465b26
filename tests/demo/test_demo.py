"""``obshub demo`` end to end: simulators, JupyterHub, the obshub service, the dashboards and
the night loop, on free ports, for about 90 s; then nothing of it may be left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from obshub.sim.process import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SITE = "demo-observatory"
TOKEN = "demo-test-bootstrap-token-0123456789"
PORTS = (
    "OBSHUB_HUB_PORT",
    "OBSHUB_HUB_API_PORT",
    "OBSHUB_PROXY_API_PORT",
    "OBSHUB_SERVICE_PORT",
    "OBSHUB_DASHBOARDS_PORT",
    "OBSHUB_CLUB_DASHBOARDS_PORT",
)


def _ours(home: Path) -> list[int]:
    """Processes whose environment carries this demo's OBSHUB_HOME (all it started do)."""
    mark = f"OBSHUB_HOME={home}".encode()
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                env = (d / "environ").read_bytes().split(b"\0")
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if mark in env and stat != "Z":
                out.append(int(d.name))
    return out


def _get(client: httpx.Client, url: str) -> httpx.Response | None:
    try:
        return client.get(url)
    except httpx.HTTPError:
        return None


def test_demo_shows_a_night_in_progress(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSHUB_")}
    env.update({p: str(free_port()) for p in PORTS})
    env.update(
        OBSHUB_HOME=str(home),
        OBSHUB_IDLE_TIMEOUT="0",
        OBSHUB_BOOTSTRAP_TOKEN=TOKEN,
        PYTHONUNBUFFERED="1",
    )
    url = f"http://127.0.0.1:{env['OBSHUB_HUB_PORT']}/"
    api = f"{url}services/obshub/api/v1"
    log = tmp_path / "demo.log"
    cmd = [sys.executable, "-m", "obshub.cli.main", "demo", "--duration", "90"]
    cmd += ["--sim-port", str(free_port())]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    seen: dict[str, object] = {}
    try:
        with (
            httpx.Client(timeout=30, headers={"Authorization": f"token {TOKEN}"}) as c,
            httpx.Client(timeout=60) as anon,
        ):
            while proc.poll() is None and len(seen) < 7:
                time.sleep(1)
                if "login" not in seen:
                    r = _get(anon, url + "hub/login")
                    if r is not None and r.status_code == 200 and "password" in r.text.lower():
                        seen["login"] = True
                    continue
                if "status" not in seen:
                    r = _get(c, f"{api}/sites/{SITE}/status")
                    if r is not None and r.status_code == 200:
                        seen["status"] = r.json()
                if "plan" not in seen:
                    r = _get(c, f"{api}/sites/{SITE}/schedule")
                    if (
                        r is not None
                        and r.status_code == 200
                        and (r.json()["plan"] or {}).get("entries")
                    ):
                        seen["plan"] = r.json()["plan"]
                if "fits" not in seen:
                    fits = sorted((home / "frames" / SITE).glob("*/*.fits"))
                    if fits:
                        seen["fits"] = fits[0]
                if "fits" in seen and "listed" not in seen:
                    night = seen["fits"].parent.name  # type: ignore[union-attr]
                    r = _get(c, f"{api}/sites/{SITE}/nights/{night}/frames")
                    if r is not None and r.status_code == 200:
                        names = {f["file"]: f for f in r.json()}
                        if seen["fits"].name in names:  # type: ignore[union-attr]
                            seen["listed"] = names[seen["fits"].name]  # type: ignore[union-attr]
                if "dashboard" not in seen:
                    # Rendering runs the notebook in a Voila kernel (anonymous: public page).
                    r = _get(anon, url + "services/dashboards/voila/render/station-status.ipynb")
                    if r is not None and r.status_code == 200:
                        seen["dashboard"] = True
                if "lease" not in seen:
                    r = _get(c, f"{api}/sites/{SITE}/audit")
                    if r is not None and r.status_code == 200:
                        for a in r.json():
                            if (a["principal"], a["action"]) == (
                                "service:obshub-executor",
                                "lease.acquire",
                            ):
                                seen["lease"] = a
        # Whether or not everything was seen, the demo stops by itself and cleanly.
        rc = proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    text = log.read_text(errors="replace")
    assert set(seen) >= {"login", "status", "plan", "fits", "listed", "dashboard", "lease"}, (
        f"seen {sorted(seen)}\n{text[-3000:]}"
    )
    assert rc == 0, text[-3000:]
    assert "demo logins" in text and "services/dashboards/" in text
    status = seen["status"]
    assert isinstance(status, dict) and status.get("devices"), status
    listed = seen["listed"]
    assert listed["owner"] in ("alice", "bob", "carl") and listed["block"], listed
    deadline = time.monotonic() + 15
    while _ours(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ours(home) == [], "processes left behind: " + ", ".join(
        Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")[:200] for p in _ours(home)
    )
