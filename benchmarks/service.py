"""Benchmark: 50 concurrent clients, each with its own token, reading status and submitting requests.

A real hub (JupyterHub, the npm proxy, the obshub service) on a real simulator. Each client
alternates ``GET /sites/{site}/status`` and ``POST /sites/{site}/requests`` for a fixed time.
Baseline and obshub run side by side: the same load straight at the service's own port
("direct"), then through the hub's proxy as users reach it ("proxy", the headline figures).
After each phase every acknowledged submission is looked up in the service's database:
``lost_submissions`` counts those acknowledged but not stored.

    .venv/bin/python benchmarks/service.py [--clients 50] [--seconds 20]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REQUEST = {
    "target": {"name": "M 57", "ra": 283.396, "dec": 33.029},
    "exposures": [{"filter": "R", "seconds": 30, "count": 2}],
    "priority": 5,
}


async def client_loop(
    api: str,
    site: str,
    token: str,
    until: float,
    lat: list[float],
    acked: list[str],
    errors: list[str],
) -> None:
    headers = {"Authorization": f"token {token}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as c:
        i = 0
        while time.monotonic() < until:
            t0 = time.perf_counter()
            try:
                if i % 2 == 0:
                    r = await c.get(f"/sites/{site}/status")
                    ok = r.status_code == 200
                else:
                    r = await c.post(f"/sites/{site}/requests", json=REQUEST)
                    ok = r.status_code == 201
                    if ok:
                        acked.append(r.json()["id"])
                if not ok:
                    errors.append(f"{r.status_code} {r.text[:120]}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            lat.append(time.perf_counter() - t0)
            i += 1


async def phase(api: str, site: str, tokens: list[str], seconds: float) -> dict:
    lat: list[float] = []
    acked: list[str] = []
    errors: list[str] = []
    t0 = time.monotonic()
    until = t0 + seconds
    await asyncio.gather(*(client_loop(api, site, t, until, lat, acked, errors) for t in tokens))
    wall = time.monotonic() - t0
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")
    return {
        "requests": len(lat),
        "requests_per_s": round(len(lat) / wall, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p99_ms": round(p99 * 1000, 1),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "acked": acked,
    }


def lost(db_url: str, acked: list[str]) -> int:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(sa.text("SELECT id FROM obshub_requests"))}
    engine.dispose()
    return sum(1 for a in acked if a not in stored)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="obshub-bench-") as tmp:
        root = Path(tmp)
        os.environ["OBSHUB_HOME"] = str(root / "home")
        import obshub  # noqa: F401 - offline astropy
        from obshub.service.hubprocess import start_hub
        from obshub.sim.alpaca import simulator_config
        from obshub.sim.catalog import default_catalog
        from obshub.sim.process import AlpacaSimulatorProcess, free_port
        from obshub.sim.stations import alpaca_station, write_station
        from obshub.station import parse_station

        port = free_port()
        doc = alpaca_station(f"127.0.0.1:{port}")
        doc["site"]["name"] = "Bench Site"
        station = write_station(doc, root / "station.yaml")
        sim = AlpacaSimulatorProcess(
            simulator_config(parse_station(doc), "sim", default_catalog()),
            root / "sim",
            port=port,
        )
        sim.start()
        users = [f"bench{i:02d}" for i in range(args.clients)]
        db_url = f"sqlite:///{root / 'service.sqlite'}"
        hub = None
        try:
            hub = start_hub(
                root / "hub",
                [station],
                {
                    "OBSHUB_OBSERVERS": ",".join(users),
                    "OBSHUB_SERVICE_DB": db_url,
                    "OBSHUB_IDLE_TIMEOUT": "0",
                    "OBSHUB_SEED_GRANTS": json.dumps(
                        [
                            {"principal": f"user:{u}", "site": "bench-site", "right": "observe"}
                            for u in users
                        ]
                    ),
                },
            )
            tokens = [hub.user_token(u) for u in users]
            # Warm-up, not measured: the hub checks each token once (then the service caches
            # it) and the first status read connects to the devices.
            asyncio.run(phase(hub.api, "bench-site", tokens, 3.0))
            results = {}
            for name, api in (("direct", hub.direct_api), ("proxy", hub.api)):
                r = asyncio.run(phase(api, "bench-site", tokens, args.seconds))
                r["lost_submissions"] = lost(db_url, r.pop("acked"))
                results[name] = r
                print(f"{name}: {json.dumps(r)}", flush=True)
        finally:
            if hub is not None:
                hub.stop()
            sim.stop()
    proxy = results["proxy"]
    out = {
        "benchmark": "service",
        "clients": args.clients,
        "seconds": args.seconds,
        "requests_per_s": proxy["requests_per_s"],
        "p99_ms": proxy["p99_ms"],
        "errors": proxy["errors"],
        "lost_submissions": proxy["lost_submissions"],
        "baseline_direct": {
            k: results["direct"][k]
            for k in ("requests_per_s", "p50_ms", "p99_ms", "errors", "lost_submissions")
        },
        "proxy": {k: proxy[k] for k in ("requests", "p50_ms", "error_examples")},
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
