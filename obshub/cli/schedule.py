"""``obshub schedule STATION_YAML [STATION_YAML…] REQUESTS_YAML``: plan a night and explain it."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedule",
        help="plan a night for one or more stations and say why each request was or was not scheduled",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="station file(s), then the requests file"
    )
    p.add_argument(
        "--night",
        help="YYYY-MM-DD, the local evening date (default: the requests file's, or tonight)",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument(
        "--time-limit", type=float, default=5.0, help="seconds for the optimiser (default 5)"
    )
    p.add_argument("--no-optimize", action="store_true", help="dispatcher only")
    p.add_argument("--save", metavar="PATH", help="also store the plan (JSON) for the executor")
    p.add_argument("--plot", metavar="PNG", help="also draw the timeline to an image file")
    p.set_defaults(func=run)


def _tonight() -> str:
    now = datetime.now(UTC)
    # Before local noon-ish the night in progress started yesterday evening.
    return (now - timedelta(hours=12)).date().isoformat()


def run(args: argparse.Namespace) -> int:
    from obshub.errors import ConfigError
    from obshub.scheduler.fairshare import FairShare
    from obshub.scheduler.requests import UnobservableRequest, check_observable, load_requests
    from obshub.scheduler.schedule import schedule
    from obshub.scheduler.telescopes import Downtime, load_telescopes

    if len(args.files) < 2:
        print(
            "obshub schedule: give at least one station file and a requests file", file=sys.stderr
        )
        return 2
    *stations, requests_path = args.files
    try:
        telescopes = load_telescopes(*stations)
        rs = load_requests(requests_path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    for i, d in enumerate(rs.downtime):
        hit = False
        for j, t in enumerate(telescopes):
            if d.telescope in (None, t.id) and d.site in (None, t.site.name):
                telescopes[j] = t.with_downtime(Downtime(d.start, d.end, d.reason))
                hit = True
        if not hit:
            print(f"{requests_path}: downtime[{i}]: matches no telescope", file=sys.stderr)
            return 1
    accepted = []
    for r in rs.requests:
        try:
            check_observable(r, telescopes)
            accepted.append(r)
        except UnobservableRequest as exc:
            print(f"refused: {exc}", file=sys.stderr)
    night = args.night or rs.night or _tonight()
    plan, _ = schedule(
        accepted,
        telescopes,
        night,
        fairshare=FairShare.from_specs(rs.programs),
        optimize=not args.no_optimize,
        time_limit=args.time_limit,
    )
    if args.save:
        plan.save(args.save)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = plan.plot()
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
    print(plan.to_json(indent=1) if args.json else plan)
    return 0
