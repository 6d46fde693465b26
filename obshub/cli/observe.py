"""``obshub observe STATION_YAML BLOCK_YAML [--db URL] --out DIR``: run a block to completion.

Resumes where the store says the block stopped (a crash, a kill, bad weather). The last
line printed is a JSON summary: ``frames_expected``, ``frames_saved``, ``frames_on_disk``,
``interruptions``, ``status``, ``reason`` and the time spent per activity; for a block on
several cameras (``instruments:``), also frames per instrument and the per-camera sync
accounting (exposing, waiting for sync, lost to spoiled frames).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "observe",
        help="run an observation block to completion (resuming an interrupted one)",
        description=__doc__,
    )
    p.add_argument("station", metavar="STATION_YAML")
    p.add_argument("block", metavar="BLOCK_YAML")
    p.add_argument("--db", metavar="URL", help="store URL (default: SQLite in $OBSHUB_HOME)")
    p.add_argument("--out", metavar="DIR", required=True, help="where frames are written")
    p.add_argument(
        "--safe-period",
        type=float,
        metavar="SECONDS",
        help="override the block's safe period before reopening",
    )
    p.add_argument(
        "--report", action="store_true", help="print the night report before the summary"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every event to stderr")
    p.set_defaults(func=run)


async def _run(args: argparse.Namespace) -> dict:
    from obshub.executor.blocks import load_block
    from obshub.executor.multi import make_runner
    from obshub.station.station import Station
    from obshub.store import Store

    block = load_block(args.block)
    if args.safe_period is not None:
        settings = block.executor.model_copy(update={"safe_period": args.safe_period})
        block = block.model_copy(update={"executor": settings})
    station = Station.from_file(args.station)
    store = Store(args.db)
    try:
        # Blocks with several instruments or a sync policy run through obshub.sync.
        runner = make_runner(station, block, store, args.out)
        summary = await runner.run()
        if args.report:
            from obshub.executor.report import night_report

            print(json.dumps(night_report(store, station.config.site.longitude), indent=2))
        return summary
    finally:
        await station.aclose()
        store.close()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    summary = asyncio.run(_run(args))
    print(json.dumps(summary), flush=True)
    return 0 if summary["status"] == "completed" else 1
