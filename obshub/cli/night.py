"""``obshub night STATION_YAML… [--requests FILE]… [--db URL] [--out DIR]``: run the night.

Plans every station's requests (request files and the obshub service's queue) with the
scheduler, saves each site's plan to ``$OBSHUB_PLANS_DIR/<site-id>.json`` and follows it with
the executor, writing frames under ``<out>/<site-id>/<night>/`` and events into the store;
re-plans when a block fails, the site turns unsafe or requests arrive. One JSON line per event
on stdout. Runs until interrupted (or ``--duration``). See docs/night.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "night",
        help="plan the stations' requests and follow the plan with the executor (the main job)",
        description=__doc__,
    )
    p.add_argument("stations", nargs="+", metavar="STATION_YAML")
    p.add_argument(
        "--requests", action="append", default=[], metavar="FILE", help="a requests file"
    )
    p.add_argument("--db", metavar="URL", help="the executor's store [$OBSHUB_STORE or SQLite]")
    p.add_argument(
        "--out", metavar="DIR", help="frames root [$OBSHUB_FRAMES_DIR or $OBSHUB_HOME/frames]"
    )
    p.add_argument("--plans", metavar="DIR", help="[$OBSHUB_PLANS_DIR or $OBSHUB_HOME/plans]")
    p.add_argument(
        "--service-db",
        metavar="URL",
        help="the service's database, for its request queue [$OBSHUB_SERVICE_DB]; 'none' to skip",
    )
    p.add_argument("--poll", type=float, default=10.0, metavar="S", help="request poll period")
    p.add_argument(
        "--lead",
        type=float,
        default=0.0,
        metavar="S",
        help="an idle telescope may start its next block this early",
    )
    p.add_argument(
        "--safe-period", type=float, default=120.0, metavar="S", help="safe this long to reopen"
    )
    p.add_argument(
        "--demo-sky",
        type=int,
        default=0,
        metavar="N",
        help="play the demo users: N requests for targets high now, Sun ignored, every few minutes",
    )
    p.add_argument(
        "--no-lease",
        action="store_true",
        help="do not take the telescopes' scheduler lease in the service (it is taken when "
        "OBSHUB_SERVICE_URL and a token are set, as in the hub)",
    )
    p.add_argument("--duration", type=float, default=0.0, metavar="S", help="stop after S seconds")
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    p.set_defaults(func=run)


def _paths(args: argparse.Namespace) -> tuple[Path, Path, str | None]:
    from obshub.sim.paths import state_dir

    home = state_dir()
    out = Path(args.out or os.environ.get("OBSHUB_FRAMES_DIR") or home / "frames")
    plans = Path(args.plans or os.environ.get("OBSHUB_PLANS_DIR") or home / "plans")
    sdb = args.service_db or os.environ.get("OBSHUB_SERVICE_DB")
    if sdb is None and (home / "service.sqlite").exists():
        sdb = f"sqlite:///{home / 'service.sqlite'}"
    if sdb in ("none", ""):
        sdb = None
    return out, plans, sdb


def _emit(ev: dict) -> None:
    print(json.dumps(ev, default=str), flush=True)


async def _run(args: argparse.Namespace) -> int:
    from obshub.night.demo_sky import DemoSky
    from obshub.night.loop import NightLoop, StationNight
    from obshub.night.sources import FileRequests, ServiceQueue
    from obshub.store import Store

    out, plans, sdb = _paths(args)
    leasing = not args.no_lease and bool(
        os.environ.get("OBSHUB_SERVICE_URL")
        and (os.environ.get("JUPYTERHUB_API_TOKEN") or os.environ.get("OBSHUB_TOKEN"))
    )
    store = Store(args.db or os.environ.get("OBSHUB_STORE") or None)
    sources: list = [FileRequests(args.requests)] if args.requests else []
    nights = [
        StationNight(
            p,
            sources,
            store,
            out,
            plans,
            lead_s=args.lead,
            poll_s=args.poll,
            safe_period=args.safe_period,
            emit=_emit,
        )
        for p in args.stations
    ]
    if leasing:
        from obshub.night.lease import ServiceLease

        for n in nights:
            n.lease = ServiceLease(n.site_id)
    queue = None
    if sdb:
        queue = ServiceQueue(sdb, {n.site_id: n.station_id for n in nights})
        sources.append(queue)
    if args.demo_sky:
        sources.insert(0, DemoSky({n.site_id: n.cfg for n in nights}, n=args.demo_sky, queue=queue))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    _emit(
        {
            "event": "started",
            "stations": [n.site_id for n in nights],
            "frames": str(out),
            "plans": str(plans),
            "service_queue": bool(sdb),
            "lease": leasing,
        }
    )
    try:
        await NightLoop(nights).run(stop, args.duration)
    finally:
        store.close()
        for n in nights:
            if n.lease is not None:
                await n.lease.aclose()
    _emit({"event": "stopped", "blocks": sum(len(n.results) for n in nights)})
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_run(args))
