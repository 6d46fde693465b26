"""``obshub demo``: a night in progress on the demo station, in the hub, within a couple of minutes.

Starts the demo station's simulators, then JupyterHub (``obshub hub``'s machinery) with the
obshub service, the dashboards and the night loop (``obshub night … --demo-sky``) as the hub's
managed executor service, prints the URLs and the demo logins, and shows one status line every
few seconds (the plan, frames, the mount). Ctrl-C (or ``--duration``) stops everything.

The demo sky: the requests are made at start (and every few minutes) for targets high in the
demo site's sky *now*, with the Sun ignored, so the demo runs at any time of day (see
:mod:`obshub.night.demo_sky`). ``--status`` keeps the old behaviour: the station's live status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from obshub.cli.status import render
from obshub.sim.manager import SimManager
from obshub.station import Station, load_station

REPO = Path(__file__).resolve().parents[2]
DEFAULT_STATION = REPO / "examples" / "demo-station.yaml"
DASHBOARDS = ("station-status", "scheduler-queue", "night-report")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="a night in progress on the demo station: simulators, hub, service, dashboards, "
        "night loop",
        description=__doc__,
    )
    p.add_argument(
        "--station", default=str(DEFAULT_STATION), help="station file (default: the demo)"
    )
    p.add_argument(
        "--sim-port",
        type=int,
        default=0,
        help="serve the station's simulator on this port instead of the file's (0: the file's)",
    )
    p.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (0: never)"
    )
    p.add_argument("--requests", type=int, default=4, help="demo requests per batch")
    p.add_argument(
        "--status",
        action="store_true",
        help="only the simulators and the station's live status (no hub)",
    )
    p.add_argument("--once", action="store_true", help="with --status: print once and exit")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between status lines")
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------- station


def demo_station(path: str | Path, sim_port: int, home: Path) -> Path:
    """The station file to use: ``path``, or a copy whose simulated servers use ``sim_port``."""
    if not sim_port:
        return Path(path).resolve()
    import yaml

    doc = yaml.safe_load(Path(path).read_text())
    for srv in doc.get("servers", {}).values():
        if srv.get("simulator") is not None or "simulator" in srv:
            host = str(srv["address"]).rsplit(":", 1)[0]
            srv["address"] = f"{host}:{sim_port}"
    out = home / "demo" / "station.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


# ----------------------------------------------------------------------------- processes


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), deepest last."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stop_hub(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM the hub (it stops its proxy and services), then kill whatever is left."""
    family = set(_children(proc.pid))
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in family:
        if _alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)


def _get(url: str, timeout: float = 3.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except Exception as exc:
        return getattr(exc, "code", 0) or 0


# ----------------------------------------------------------------------------- status line


def _status_line(env: dict[str, str], site_ids: list[str]) -> str:
    plans = Path(env["OBSHUB_PLANS_DIR"])
    frames = Path(env["OBSHUB_FRAMES_DIR"])
    parts = [time.strftime("%H:%M:%S")]
    for sid in site_ids:
        try:
            plan = json.loads((plans / f"{sid}.json").read_text())
            es = plan.get("entries", [])
            done = sum(e.get("state") == "done" for e in es)
            nxt = next((e for e in es if e.get("state") == "planned"), None)
            p = f"plan {done}/{len(es)} done"
            if nxt:
                p += f", next {nxt['target']} ({nxt.get('owner') or '-'}) {nxt['start'][11:16]}"
        except (OSError, ValueError):
            p = "planning…"
        n = sum(1 for _ in (frames / sid).glob("*/*.fits")) if (frames / sid).is_dir() else 0
        parts.append(f"{sid}: {p}; {n} frame(s)")
    return "  ".join(parts)


# ----------------------------------------------------------------------------- run


def demo_env(station: Path, home: Path, n_requests: int) -> dict[str, str]:
    """The hub's environment: ``obshub hub``'s, plus the night loop as the managed executor."""
    from obshub.cli.hub import hub_env

    env = hub_env(argparse.Namespace(station=[str(station)], ip=None, port=None, auth=None))
    env["OBSHUB_HOME"] = str(home)
    # One place for frames, plans and the store, read by the service, dashboards and loop.
    env.setdefault("OBSHUB_FRAMES_DIR", str(home / "frames"))
    env.setdefault("OBSHUB_PLANS_DIR", str(home / "plans"))
    env.setdefault("OBSHUB_STORE", f"sqlite:///{home / 'observations.db'}")
    env.setdefault("OBSHUB_SERVICE_DB", f"sqlite:///{home / 'service.sqlite'}")
    env["OBSHUB_EXECUTOR_CMD"] = (
        f"obshub night {station} --demo-sky {n_requests} --lead 60 --poll 5 --safe-period 30"
    )
    return env


def _banner(env: dict[str, str]) -> str:
    from obshub.cli.hub import banner

    url = f"http://{env.get('OBSHUB_HUB_IP', '127.0.0.1')}:{env.get('OBSHUB_HUB_PORT', '8000')}/"
    lines = [banner(env), "  dashboards (public, no login):"]
    for name in DASHBOARDS:
        lines.append(f"    {url}services/dashboards/voila/render/{name}.ipynb")
    lines.append(f"  the same behind the login: {url}services/club-dashboards/")
    lines.append(
        "  demo sky: requests for targets high in the sky now, the Sun ignored "
        "(runs at any time of day)"
    )
    return "\n".join(lines)


def run_hub_demo(args: argparse.Namespace) -> int:
    from obshub.service.stations import slug
    from obshub.sim.paths import state_dir

    home = state_dir().resolve()
    station = demo_station(args.station, args.sim_port, home)
    cfg = load_station(station)
    sims = SimManager()
    # A simulator already running (obshub sim start) is the user's: left running at the end.
    ours = not any(p.running for p in sims.status(cfg))
    for p in sims.start(cfg):
        print(f"simulator {p.server} on {p.address} (pid {p.pid}); log {p.log}", flush=True)
    env = demo_env(station, home, args.requests)
    log_path = home / "demo" / "hub.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    cmd = [
        str(jupyterhub) if jupyterhub.exists() else "jupyterhub",
        "-f",
        str(REPO / "hub_config" / "jupyterhub_config.py"),
    ]
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    t0 = time.monotonic()
    with open(log_path, "ab") as log:
        # Own session: Ctrl-C in the terminal reaches us only; we stop the hub once, cleanly.
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(REPO),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://{env.get('OBSHUB_HUB_IP', '127.0.0.1')}:{env.get('OBSHUB_HUB_PORT', '8000')}/"
            print(f"starting the hub (log {log_path}) …", flush=True)
            while not stopping and proc.poll() is None and _get(url + "hub/login") != 200:
                if args.duration and time.monotonic() - t0 >= args.duration:
                    break
                time.sleep(1.0)
            if proc.poll() is not None:
                print(
                    f"obshub demo: the hub exited ({proc.returncode}); see {log_path}",
                    file=sys.stderr,
                )
                return 1
            print(_banner(env), flush=True)
            print("Ctrl-C to stop.", flush=True)
            sites = [slug(cfg.site.name)]
            last = 0.0
            while not stopping and proc.poll() is None:
                if args.duration and time.monotonic() - t0 >= args.duration:
                    break
                if time.monotonic() - last >= args.interval:
                    last = time.monotonic()
                    print(_status_line(env, sites), flush=True)
                time.sleep(0.2)
            return 0 if proc.poll() is None else 1
        finally:
            print("stopping…", flush=True)
            _stop_hub(proc)
            if ours:
                sims.stop(cfg)
            for s, h in old.items():
                signal.signal(s, h)
            print("stopped.", flush=True)


# ----------------------------------------------------------------------------- --status


async def _live(path: str, once: bool, interval: float, duration: float) -> int:
    station = Station.from_file(path)
    try:
        await station.connect()
        t0 = time.monotonic()
        while True:
            status = await station.status()
            text = render(status)
            if once:
                print(text)
                return 0 if all(d["ok"] for d in status["devices"].values()) else 1
            # Redraw in place on a terminal; plain lines when piped to a log.
            prefix = "\x1b[H\x1b[2J" if sys.stdout.isatty() else ""
            print(f"{prefix}{text}\n\n{time.strftime('%H:%M:%S')}  (Ctrl-C to stop)", flush=True)
            if duration and time.monotonic() - t0 >= duration:
                return 0
            await asyncio.sleep(interval)
    finally:
        await station.aclose()


def run(args: argparse.Namespace) -> int:
    if not (args.status or args.once):
        return run_hub_demo(args)
    from obshub.sim.paths import state_dir

    station = demo_station(args.station, args.sim_port, state_dir())
    procs = SimManager().start(load_station(station))
    for p in procs:
        print(f"simulator {p.server} on {p.address} (pid {p.pid}); log {p.log}")
    return asyncio.run(_live(str(station), args.once, args.interval, args.duration))
