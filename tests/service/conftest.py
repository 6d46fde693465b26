"""A real JupyterHub (real proxy from npm, obshub as a managed service) on free loopback ports.

Two sites are served from one alpaca-simulators process: ``club-site-a`` (the demo grants:
olivia owns it, carl configures, alice and bob control its telescope ``main``, the ``club``
group views it) and ``other-site-b`` (no grants: the "other site" of everyone but the admin).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
SITE_A = "club-site-a"
SITE_B = "other-site-b"
PASSWORD = "test-demo-pw"


def _busy(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def kill_tree(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop the hub, then whatever it started that is still running (proxy, services)."""
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for p in tree:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(tree, timeout=5)


@dataclass
class Hub:
    url: str
    token: str  # the bootstrap (admin) service token
    home: Path
    log: Path
    service_port: int
    frames_dir: Path
    plans_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return self.url + "services/obshub/api/v1"

    def hub_api(self, method: str, path: str, **kw) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}hub/api/{path.lstrip('/')}",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
            **kw,
        )

    def user_token(self, user: str, scopes: list[str] | None = None) -> str:
        """A token for ``user`` (all their scopes unless ``scopes`` restricts them)."""
        key = f"{user}:{scopes}"
        if key not in self.tokens:
            body: dict = {"note": "tests", "expires_in": 3600}
            if scopes is not None:
                body["scopes"] = scopes
            r = self.hub_api("POST", f"users/{user}/tokens", json=body)
            assert r.status_code == 201, r.text
            self.tokens[key] = r.json()["token"]
        return self.tokens[key]

    def client(self, user: str | None, scopes: list[str] | None = None) -> httpx.Client:
        headers = {"Authorization": f"token {self.user_token(user, scopes)}"} if user else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=60)


def _station(alpaca_sim, name: str, path: Path) -> Path:
    from obshub.sim.stations import alpaca_station, write_station

    doc = alpaca_station(alpaca_sim.address)
    doc["site"]["name"] = name
    return write_station(doc, path)


@pytest.fixture(scope="session")
def hub(alpaca_sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    from obshub.service.hubsetup import demo_grants
    from obshub.sim.process import free_port

    root = tmp_path_factory.mktemp("hub")
    a = _station(alpaca_sim, "Club Site A", root / "site-a.yaml")
    b = _station(alpaca_sim, "Other Site B", root / "site-b.yaml")
    ports = [free_port() for _ in range(4)]
    busy = [p for p in ports if _busy(p)]
    if len(set(ports)) != 4 or busy:
        pytest.fail(f"ports not free: {busy or ports}: a stale hub or proxy may be running")
    port, api_port, proxy_port, service_port = ports
    token = secrets.token_hex(24)
    home = root / "home"
    env = {
        **os.environ,
        "OBSHUB_HOME": str(home),
        "OBSHUB_STATIONS": os.pathsep.join([str(a), str(b)]),
        "OBSHUB_HUB_PORT": str(port),
        "OBSHUB_HUB_API_PORT": str(api_port),
        "OBSHUB_PROXY_API_PORT": str(proxy_port),
        "OBSHUB_SERVICE_PORT": str(service_port),
        "OBSHUB_BOOTSTRAP_TOKEN": token,
        "OBSHUB_DEMO_PASSWORD": PASSWORD,
        "OBSHUB_IDLE_TIMEOUT": "3600",
        "OBSHUB_DEFAULT_URL": "/tree",
        "OBSHUB_FRAMES_DIR": str(root / "frames"),
        "OBSHUB_PLANS_DIR": str(root / "plans"),
        # Only site A has grants: B is everyone's "other site".
        "OBSHUB_SEED_GRANTS": json.dumps(demo_grants([str(a)])),
    }
    for k in ("OBSHUB_AUTH", "OBSHUB_HUB_DB_URL", "OBSHUB_SERVICE_DB", "OBSHUB_SSL_CERT"):
        env.pop(k, None)
    log = root / "hub.log"
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(jupyterhub), "-f", str(REPO / "hub_config" / "jupyterhub_config.py")],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    h = Hub(
        f"http://127.0.0.1:{port}/", token, home, log, service_port, root / "frames", root / "plans"
    )
    try:
        deadline = time.monotonic() + 90
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ok_hub = httpx.get(h.url + "hub/health", timeout=2).status_code == 200
                ok_svc = httpx.get(h.api + "/health", timeout=2).status_code == 200
                if ok_hub and ok_svc:
                    ready = True
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        if not ready:
            pytest.fail(f"hub did not come up:\n{log.read_text()[-4000:]}")
        yield h
    finally:
        kill_tree(proc)
