"""Running the dashboards with Voila: the command line (for the hub and tests) and a process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: Kernels of pages left open are shut down when the page closes; culling catches the rest.
CULL_IDLE_S = 600
CULL_INTERVAL_S = 60


def dashboards_dir() -> Path:
    """The repository's ``dashboards/`` folder of Voila notebooks."""
    return Path(__file__).resolve().parents[2] / "dashboards"


def voila_executable() -> list[str]:
    """Voila through obshub's launcher, with this interpreter's absolute path.

    The hub's services get no venv on PATH; the launcher adds obshub's template and turns
    SIGINT into a clean stop (see :mod:`obshub.dashboards.voila_main`).
    """
    return [sys.executable, "-m", "obshub.dashboards.voila_main"]


def voila_command(
    port: int,
    *,
    base_url: str = "/",
    notebooks: Path | None = None,
    ip: str = "127.0.0.1",
    cull_idle: int = CULL_IDLE_S,
    extra: list[str] | None = None,
) -> list[str]:
    """The Voila command line serving every dashboard notebook.

    Kernels are culled after ``cull_idle`` seconds idle; the executable and notebook
    directory are absolute so the command runs from any working directory.
    """
    return [
        *voila_executable(),
        str((notebooks or dashboards_dir()).resolve()),
        # The lab template minus its CDN stylesheets (offline-safe, no blocked first paint).
        "--VoilaConfiguration.template=obshub",
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        f"--Voila.base_url={base_url}",
        "--Voila.root_dir=" + str((notebooks or dashboards_dir()).resolve()),
        # Dashboards are read-only views: no sources shown, errors shown without tracebacks.
        "--VoilaConfiguration.show_tracebacks=False",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
        *(extra or []),
    ]


class VoilaProcess:
    """A Voila server owned by the caller (tests, the demo): started, waited for, killed.

    Parameters
    ----------
    port
        A free port on 127.0.0.1.
    env
        Extra environment (``OBSHUB_STATION``, ``OBSHUB_PLAN``, …).
    log_path
        Where Voila's output goes.
    """

    def __init__(self, port: int, env: dict[str, str], log_path: Path, base_url: str = "/"):
        self.port = port
        self.base_url = base_url
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    def start(self, timeout: float = 60.0) -> VoilaProcess:
        with contextlib.closing(__import__("socket").socket()) as s:
            if s.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} is busy: refusing to reuse another server")
        env = dict(os.environ, **self.env)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                voila_command(self.port, base_url=self.base_url),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited: {self.log_path.read_text()[-3000:]}")
            try:
                # The tree page is cheap; rendering a notebook would start a kernel.
                if httpx.get(self.url + "voila/tree", timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"voila not up on {self.url} after {timeout} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        # Voila stops cleanly on SIGTERM; its kernels are in the same process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # Kernels may outlive the server by a moment; take the whole group down.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def __enter__(self) -> VoilaProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
