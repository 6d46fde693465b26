"""Running a whole hub (JupyterHub, its proxy, the obshub service) as one owned process tree.

Used by the tests and the benchmark: free loopback ports (refusing busy ones, since a stale
proxy would be silently reused), readiness when both the hub and the service answer, and a stop
that ends every process the hub started, even those in sessions of their own.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from obshub.errors import ObshubError

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "hub_config" / "jupyterhub_config.py"


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def kill_tree(proc: subprocess.Popen, grace: float = 20.0) -> list[str]:
    """Stop a process politely, then kill whatever it started that is still running.

    Returns
    -------
    list of str
        The command lines that did not stop by themselves (empty after a clean stop).
    """
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    forced: list[str] = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            forced.append(" ".join(map(str, proc.args)))
            proc.kill()
            proc.wait(5)
    _, alive = psutil.wait_procs(tree, timeout=5)
    for p in alive:
        try:
            forced.append(" ".join(p.cmdline()))
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    return forced


@dataclass
class HubProcess:
    """A started hub. ``token`` is an admin (bootstrap) service token."""

    url: str
    token: str
    root: Path
    service_port: int
    proc: subprocess.Popen
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        """The obshub API through the hub's proxy."""
        return self.url + "services/obshub/api/v1"

    @property
    def direct_api(self) -> str:
        """The obshub API on the service's own port (no proxy)."""
        return f"http://127.0.0.1:{self.service_port}/services/obshub/api/v1"

    @property
    def log(self) -> Path:
        return self.root / "hub.log"

    def hub_api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}hub/api/{path.lstrip('/')}",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
            **kw,
        )

    def user_token(self, user: str, scopes: list[str] | None = None) -> str:
        """A token for ``user``: all their scopes, unless ``scopes`` restricts them."""
        key = f"{user}:{scopes}"
        if key not in self.tokens:
            body: dict[str, Any] = {"note": "obshub", "expires_in": 3600}
            if scopes is not None:
                body["scopes"] = scopes
            r = self.hub_api("POST", f"users/{user}/tokens", json=body)
            if r.status_code != 201:
                raise ObshubError(f"token for {user}: {r.status_code} {r.text}")
            self.tokens[key] = r.json()["token"]
        return self.tokens[key]

    def stop(self) -> list[str]:
        """Stop the hub and everything it started; returns what had to be killed."""
        return kill_tree(self.proc)


def start_hub(
    root: Path, stations: list[Path], env: dict[str, str] | None = None, timeout: float = 120.0
) -> HubProcess:
    """Start the hub as ``obshub hub`` does, on free ports under ``root``.

    Raises
    ------
    ObshubError
        A chosen port is busy, or the hub and service did not come up in time (with the log).
    """
    from obshub.sim.process import free_port

    root.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in range(4)]
    busy = [p for p in ports if port_busy(p)]
    if len(set(ports)) != 4 or busy:
        raise ObshubError(f"ports not free: {busy or ports}: a stale hub or proxy may be running")
    port, api_port, proxy_port, service_port = ports
    token = secrets.token_hex(24)
    full = {
        **{
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "OBSHUB_AUTH",
                "OBSHUB_HUB_DB_URL",
                "OBSHUB_SERVICE_DB",
                "OBSHUB_SSL_CERT",
                "OBSHUB_SSL_KEY",
            )
        },
        "OBSHUB_HOME": str(root / "home"),
        "OBSHUB_STATIONS": os.pathsep.join(str(s) for s in stations),
        "OBSHUB_HUB_PORT": str(port),
        "OBSHUB_HUB_API_PORT": str(api_port),
        "OBSHUB_PROXY_API_PORT": str(proxy_port),
        "OBSHUB_SERVICE_PORT": str(service_port),
        "OBSHUB_BOOTSTRAP_TOKEN": token,
        **(env or {}),
    }
    stations_args = [a for s in stations for a in ("--station", str(s))]
    with open(root / "hub.log", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "obshub.cli.main", "hub", *stations_args, "--port", str(port)],
            cwd=root,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = HubProcess(f"http://127.0.0.1:{port}/", token, root, service_port, proc, full)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if (
                httpx.get(hub.url + "hub/health", timeout=2).status_code == 200
                and httpx.get(hub.api + "/health", timeout=2).status_code == 200
            ):
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    hub.stop()
    raise ObshubError(f"the hub did not come up:\n{hub.log.read_text()[-4000:]}")
