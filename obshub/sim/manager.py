"""Start, stop and list the simulators of a station file, idempotently, in the background."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from obshub.errors import ObshubError
from obshub.sim import alpaca as alpaca_sim
from obshub.sim.catalog import default_catalog
from obshub.sim.paths import state_dir
from obshub.station.model import Protocol, StationConfig


@dataclass
class SimProcess:
    """One simulator process and what it serves."""

    server: str
    protocol: str
    address: str
    pid: int | None
    running: bool
    log: str


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is as good as dead.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


class SimError(ObshubError):
    """A simulator would not start or stop."""


class SimManager:
    """Simulators for the servers of a station file that have a ``simulator:`` block.

    State lives in ``<state_dir>/sim/<port>/`` (config, pid file, log), keyed by port because a
    port identifies a server on this host.
    """

    def __init__(self, root: Path | None = None):
        self.root = (root or state_dir()) / "sim"

    def _dir(self, address: str) -> Path:
        return self.root / address.rsplit(":", 1)[1]

    def _simulated(self, station: StationConfig) -> list[str]:
        return [n for n, s in station.servers.items() if s.simulator is not None]

    def _pid(self, address: str) -> int | None:
        try:
            return int((self._dir(address) / "pid").read_text())
        except (OSError, ValueError):
            return None

    def status(self, station: StationConfig) -> list[SimProcess]:
        out = []
        for name in self._simulated(station):
            srv = station.servers[name]
            pid = self._pid(srv.address)
            alive = pid is not None and pid_alive(pid)
            out.append(
                SimProcess(
                    server=name,
                    protocol=srv.protocol.value,
                    address=srv.address,
                    pid=pid if alive else None,
                    running=alive and port_open(srv.host, srv.port),
                    log=str(self._dir(srv.address) / "log"),
                )
            )
        return out

    def start(self, station: StationConfig, timeout: float = 60.0) -> list[SimProcess]:
        """Start every simulator that is not already running, and wait until each answers."""
        started: list[tuple[str, subprocess.Popen[bytes]]] = []
        for proc in self.status(station):
            if proc.running:
                continue
            srv = station.servers[proc.server]
            if proc.pid is None and port_open(srv.host, srv.port):
                raise SimError(
                    f"{proc.server}: port {srv.port} is taken by a process obshub did not start"
                )
            started.append((proc.server, self._spawn(station, proc.server)))
        deadline = time.monotonic() + timeout
        for name, popen in started:
            srv = station.servers[name]
            while not port_open(srv.host, srv.port):
                if popen.poll() is not None:
                    log = (self._dir(srv.address) / "log").read_text(errors="replace")[-2000:]
                    raise SimError(f"{name}: simulator exited with {popen.returncode}:\n{log}")
                if time.monotonic() > deadline:
                    raise SimError(
                        f"{name}: simulator not answering on {srv.address} after {timeout:g} s"
                    )
                time.sleep(0.1)
        return self.status(station)

    def _spawn(self, station: StationConfig, name: str) -> subprocess.Popen[bytes]:
        srv = station.servers[name]
        d = self._dir(srv.address)
        d.mkdir(parents=True, exist_ok=True)
        if srv.protocol is Protocol.alpaca:
            cfg = alpaca_sim.simulator_config(station, name, default_catalog())
            (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
            cmd = alpaca_sim.simulator_command() + [
                "--host",
                srv.host,
                "--port",
                str(srv.port),
                "--config",
                str((d / "config.yaml").resolve()),
            ]
            env = dict(os.environ)
        else:
            from obshub.sim import indi as indi_sim  # the INDI backend's simulator runner

            cmd, env = indi_sim.server_command(station, name, d, default_catalog())
        with open(d / "log", "ab") as log:
            popen = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=d,
                env=env,
                start_new_session=True,  # its own process group: stop kills the whole tree
            )
        (d / "pid").write_text(str(popen.pid))
        (d / "server.json").write_text(
            json.dumps({"server": name, "address": srv.address, "cmd": cmd})
        )
        return popen

    def stop(self, station: StationConfig, timeout: float = 10.0) -> list[SimProcess]:
        """Stop every simulator of the station that obshub started."""
        for proc in self.status(station):
            if proc.pid is None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid_alive(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            (self._dir(proc.address) / "pid").unlink(missing_ok=True)
        return self.status(station)


def describe(procs: list[SimProcess]) -> list[dict[str, object]]:
    return [asdict(p) for p in procs]
