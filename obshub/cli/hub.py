"""``obshub hub [--station FILE …]``: run JupyterHub with the obshub service.

Uses ``hub_config/jupyterhub_config.py`` with its defaults (demo users, the proxy from
``node_modules``, the obshub service on the given stations), prints the URL and the demo logins,
and runs until interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from obshub.errors import ObshubError

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "hub_config" / "jupyterhub_config.py"
DEMO_STATION = REPO / "examples" / "demo-station.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hub", help="run JupyterHub with the obshub service (demo users by default)")
    p.add_argument(
        "--station",
        action="append",
        default=[],
        metavar="FILE",
        help="a station file (repeatable); the demo station by default",
    )
    p.add_argument("--ip", default=None, help="public address [127.0.0.1]")
    p.add_argument("--port", type=int, default=None, help="public port [8000]")
    p.add_argument(
        "--auth",
        choices=["demo", "native"],
        default=None,
        help="demo users, or NativeAuthenticator sign-up approved by an admin",
    )
    p.add_argument("--config", default=str(CONFIG), help="the JupyterHub config file")
    p.set_defaults(func=run)


def hub_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    stations = [str(Path(s).resolve()) for s in (args.station or [DEMO_STATION])]
    for s in stations:
        if not Path(s).is_file():
            raise ObshubError(f"station file not found: {s}")
    env["OBSHUB_STATIONS"] = os.pathsep.join(stations)
    if args.ip:
        env["OBSHUB_HUB_IP"] = args.ip
    if args.port:
        env["OBSHUB_HUB_PORT"] = str(args.port)
    if args.auth:
        env["OBSHUB_AUTH"] = args.auth
    return env


def banner(env: dict[str, str]) -> str:
    from obshub.service.hubsetup import DEMO_USERS

    scheme = "https" if env.get("OBSHUB_SSL_CERT") else "http"
    url = (
        f"{scheme}://{env.get('OBSHUB_HUB_IP', '127.0.0.1')}:{env.get('OBSHUB_HUB_PORT', '8000')}/"
    )
    lines = [f"obshub hub: {url}", f"  API docs: {url}services/obshub/api/v1/docs"]
    if env.get("OBSHUB_AUTH", "demo") == "demo":
        pw = env.get("OBSHUB_DEMO_PASSWORD", "obshub")
        lines.append(f"  demo logins (password {pw!r}):")
        for name, (role, _) in DEMO_USERS.items():
            lines.append(f"    {name:7s} {role.removeprefix('obshub-')}")
    else:
        lines.append("  sign up at /hub/signup; an admin approves at /hub/authorize")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    env = hub_env(args)
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    cmd = [str(jupyterhub) if jupyterhub.exists() else "jupyterhub", "-f", args.config]
    print(banner(env), flush=True)
    # Own session: on Ctrl-C we stop the hub once, and it stops its proxy and services.
    proc = subprocess.Popen(cmd, env=env, cwd=str(REPO), start_new_session=True)

    def _stop(signum: int, _frame: object) -> None:
        proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
