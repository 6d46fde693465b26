"""A simulator process owned by the caller (tests, benchmarks), on a free loopback port.

``obshub sim`` (see :mod:`obshub.sim.manager`) runs simulators detached for users; this module
runs them attached, so a test can kill, hang or restart one and always reaps it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from obshub.sim.alpaca import simulator_command
from obshub.sim.manager import port_open


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A device server process owned by the caller, in its own process group.

    Subclasses give :meth:`command` (the command line and environment), ``port``,
    ``workdir`` and ``log_path``; this class starts it and waits until its port answers, kills
    it like a crash, stops it politely, and restarts it.
    """

    #: Shown in errors: "alpaca-simulators", "indiserver", …
    label = "server"
    port: int
    workdir: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> Any:
        if self.proc is not None and self.proc.poll() is None:
            return self
        cmd, env = self.command()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited: {self.log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"{self.label} not up on {self.address} after {timeout} s")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """SIGKILL the process group (a crash, as far as clients can tell)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        # The port must be free before a restart can bind it again.
        deadline = time.monotonic() + 5
        while port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AlpacaSimulatorProcess(ServerProcess):
    """``alpaca-simulators`` on ``127.0.0.1:port`` with a given config.

    Parameters
    ----------
    config
        The simulator's config as a dict (see :func:`obshub.sim.alpaca.simulator_config`).
    workdir
        Where the config file and log go.
    port
        A free port by default.
    """

    label = "alpaca-simulators"

    def __init__(self, config: dict[str, Any], workdir: Path, port: int | None = None):
        self.config = config
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.config_path = (self.workdir / f"alpaca-{self.port}.yaml").resolve()
        self.log_path = self.workdir / f"alpaca-{self.port}.log"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.proc = None

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        cmd = simulator_command() + [
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--config",
            str(self.config_path),
        ]
        return cmd, None

    def put(self, path: str, **form: Any) -> None:
        """Call a simulator test hook (``safetymonitor/0/issafe``, ``/reload``, …)."""
        import httpx

        url = f"http://{self.address}/{path.lstrip('/')}"
        r = httpx.put(url, data=form, timeout=5) if form else httpx.put(url, timeout=5)
        r.raise_for_status()
