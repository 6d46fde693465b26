"""Where dashboards get their data: the service (read-only token) or local files and stations.

Every source answers JSON-shaped dicts, so views never care where data came from:

``stations()``
    One dict per station, shaped like :meth:`obshub.station.Station.status` plus
    ``observing`` (what runs now and for whom, or ``None``) and ``latest_frame`` (a dict with
    ``name`` and ``png`` bytes, or ``None``).
``plan()``
    ``{"generated": iso, "blocks": [...], "queue": [...], "unscheduled": [...],
    "programs": [...]}`` (see :mod:`obshub.dashboards.plan`), or ``None`` when there is none.
``night_report()``
    ``{"night": iso, "telescopes": {name: {"exposing_s": …, "slewing_s": …, …}}}`` or ``None``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np

from obshub.widgets.image import frame_png

log = logging.getLogger(__name__)

ENV_STATION = "OBSHUB_STATION"
ENV_PLAN = "OBSHUB_PLAN"
ENV_REPORT = "OBSHUB_NIGHT_REPORT"
ENV_FRAMES = "OBSHUB_FRAMES"
ENV_STORE = "OBSHUB_STORE"
ENV_SERVICE = "OBSHUB_SERVICE_URL"
ENV_TOKEN = "OBSHUB_DASHBOARD_TOKEN"

THUMBNAIL_SIDE = 256


def demo_station_file() -> Path:
    """The repository's demo station file (the default for standalone dashboards)."""
    return Path(__file__).resolve().parents[2] / "examples" / "demo-station.yaml"


class Source(Protocol):
    async def stations(self) -> list[dict[str, Any]]: ...

    async def plan(self) -> dict[str, Any] | None: ...

    async def night_report(self) -> dict[str, Any] | None: ...

    async def aclose(self) -> None: ...


def _read_json(path: Path | None, what: str) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what} file {path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} file {path}: expected a JSON object, got {type(data).__name__}")
    return data


class FrameThumbnails:
    """The newest FITS frame under a directory, as a PNG thumbnail (cached by file and mtime)."""

    def __init__(self, directory: Path | None, side: int = THUMBNAIL_SIDE):
        self.directory = directory
        self.side = side
        self._cache: tuple[Path, float, dict[str, Any]] | None = None

    def newest(self) -> Path | None:
        if self.directory is None or not self.directory.is_dir():
            return None
        best: tuple[float, Path] | None = None
        for p in self.directory.rglob("*.fits"):
            try:
                m = p.stat().st_mtime
            except OSError:  # written or moved while we looked
                continue
            if best is None or m > best[0]:
                best = (m, p)
        return None if best is None else best[1]

    def latest(self) -> dict[str, Any] | None:
        path = self.newest()
        if path is None:
            return None
        mtime = path.stat().st_mtime
        if self._cache and self._cache[0] == path and self._cache[1] == mtime:
            return self._cache[2]
        from astropy.io import fits

        with fits.open(path, memmap=False) as hdul:
            data = np.asarray(hdul[0].data, dtype=np.float32)
            header = hdul[0].header
            info = {
                "name": path.name,
                "object": header.get("OBJECT"),
                "filter": header.get("FILTER"),
                "date_obs": header.get("DATE-OBS"),
                "exptime": header.get("EXPTIME"),
                "png": frame_png(data, "asinh", self.side),
            }
        self._cache = (path, mtime, info)
        return info


class LocalSource:
    """Stations read live from station files; plan and report from JSON files.

    Parameters
    ----------
    station_files
        Station YAML files (every site a dashboard shows).
    plan_file, report_file
        JSON files the scheduler and executor write; missing files mean "none yet".
    frames_dir
        Where frames are written: the newest one becomes the thumbnail.
    """

    def __init__(
        self,
        station_files: list[Path],
        plan_file: Path | None = None,
        report_file: Path | None = None,
        frames_dir: Path | None = None,
        store_url: str | None = None,
    ):
        if not station_files:
            raise ValueError("LocalSource: no station file given")
        self.station_files = [Path(p) for p in station_files]
        for p in self.station_files:
            if not p.exists():
                raise ValueError(f"station file {p}: does not exist (set {ENV_STATION})")
        self.plan_file = plan_file
        self.report_file = report_file
        self.frames = FrameThumbnails(frames_dir)
        self.store_url = store_url
        self._stations: list[Any] | None = None

    async def _open(self) -> list[Any]:
        if self._stations is None:
            from obshub.station import Station

            self._stations = [Station.from_file(p) for p in self.station_files]
            # Connecting is harmless for a read-only view and lets drivers answer; one site
            # that is down still shows (its devices report their errors).
            await asyncio.gather(*(s.connect() for s in self._stations), return_exceptions=True)
        return self._stations

    async def stations(self) -> list[dict[str, Any]]:
        stations = await self._open()
        snaps = await asyncio.gather(*(s.status() for s in stations))
        frame = await asyncio.to_thread(self.frames.latest)
        out = []
        for s in snaps:
            s = dict(s)
            s.setdefault("observing", None)
            s["latest_frame"] = frame
            out.append(s)
        return out

    async def plan(self) -> dict[str, Any] | None:
        return _read_json(self.plan_file, "plan")

    async def night_report(self) -> dict[str, Any] | None:
        if self.report_file is not None:
            return _read_json(self.report_file, "night report")
        if self.store_url:
            # The executor's record of the night, summed as `obshub observe --report` does.
            return await asyncio.to_thread(_store_report, self.store_url)
        return None

    async def aclose(self) -> None:
        for s in self._stations or []:
            await s.aclose()
        self._stations = None


class ServiceSource:
    """The obshub service's read-only endpoints (``api/v1``), with a read-only token.

    Parameters
    ----------
    url
        The service's base URL (``http://127.0.0.1:8000/services/obshub/``).
    token
        A token with the service's read scope only: dashboards never need more.
    report_file
        The night report is not served (yet): read from this JSON file if given.
    """

    def __init__(
        self, url: str, token: str | None, timeout: float = 10.0, report_file: Path | None = None
    ):
        self.url = url.rstrip("/") + "/"
        headers = {"Authorization": f"token {token}"} if token else {}
        self.client = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout)
        self.report_file = report_file
        self._thumbs: dict[str, dict[str, Any]] = {}

    async def _get(self, path: str) -> Any:
        r = await self.client.get("api/v1/" + path.lstrip("/"))
        if r.status_code == 404:
            return None
        if r.status_code in (401, 403):
            raise PermissionError(
                f"{self.url}api/v1/{path}: {r.status_code}, the token may not read this"
            )
        r.raise_for_status()
        return r.json()

    async def _sites(self) -> list[dict[str, Any]]:
        return list(await self._get("sites") or [])

    async def stations(self) -> list[dict[str, Any]]:
        out = []
        for site in await self._sites():
            snap = dict(await self._get(f"sites/{site['id']}/status") or {})
            snap.setdefault("station", site.get("name") or site["id"])
            snap.setdefault("observing", None)
            snap["latest_frame"] = await self._latest_frame(site["id"])
            out.append(snap)
        return out

    async def _latest_frame(self, site_id: str) -> dict[str, Any] | None:
        nights = await self._get(f"sites/{site_id}/nights") or []
        night = next((n["night"] for n in nights if n.get("frames")), None)
        if night is None:
            return None
        frames = await self._get(f"sites/{site_id}/nights/{night}/frames") or []
        if not frames:
            return None
        f = max(frames, key=lambda x: str(x.get("date_obs") or x.get("file")))
        key = f"{site_id}/{night}/{f['file']}"
        if key not in self._thumbs:
            r = await self.client.get(f"api/v1/sites/{site_id}/nights/{night}/frames/{f['file']}")
            if r.status_code != 200:
                return None
            png = await asyncio.to_thread(_fits_png, r.content)
            self._thumbs = {key: dict(f, name=f["file"], png=png)}
        return self._thumbs[key]

    async def plan(self) -> dict[str, Any] | None:
        from obshub.dashboards.plan import from_scheduler, merge_plans

        plans = []
        for site in await self._sites():
            sched = await self._get(f"sites/{site['id']}/schedule") or {}
            raw = sched.get("plan") or {}
            p = from_scheduler(raw, site.get("name") or site["id"]) if raw else from_scheduler({})
            for q in await self._get(f"sites/{site['id']}/queue") or []:
                p["queue"].append(
                    dict(
                        q, request=q.get("id"), state="queued", site=site.get("name") or site["id"]
                    )
                )
            plans.append(p)
        if not plans:
            return None
        return merge_plans(plans)

    async def night_report(self) -> dict[str, Any] | None:
        return _read_json(self.report_file, "night report")

    async def aclose(self) -> None:
        await self.client.aclose()


def _store_report(url: str) -> dict[str, Any]:
    from obshub.executor.report import night_report
    from obshub.store.db import Store

    store = Store(url, upgrade=False)
    try:
        return night_report(store)
    finally:
        store.close()


def _fits_png(content: bytes) -> bytes:
    import io

    from astropy.io import fits

    with fits.open(io.BytesIO(content)) as hdul:
        return frame_png(np.asarray(hdul[0].data, dtype=np.float32), "asinh", THUMBNAIL_SIDE)


def _path(name: str) -> Path | None:
    v = os.environ.get(name)
    return Path(v) if v else None


def source_from_env() -> Source:
    """The service when ``OBSHUB_SERVICE_URL`` is set, else local files.

    Environment
    -----------
    OBSHUB_SERVICE_URL, OBSHUB_DASHBOARD_TOKEN
        The service and a read-only token. ``JUPYTERHUB_API_TOKEN`` is used only inside a
        hub-managed service (``JUPYTERHUB_SERVICE_NAME`` set), whose token is the service's
        own read-only one: in a user's kernel it would carry the user's rights.
    OBSHUB_STATION
        Station files, separated by ``os.pathsep``; the demo station by default.
    OBSHUB_PLAN, OBSHUB_NIGHT_REPORT, OBSHUB_FRAMES
        The plan and report JSON files and the frames directory, for standalone use.
    OBSHUB_STORE
        The executor's store (database URL): the night report is summed from it when no
        report file is given.
    """
    url = os.environ.get(ENV_SERVICE)
    if url:
        token = os.environ.get(ENV_TOKEN)
        if not token and os.environ.get("JUPYTERHUB_SERVICE_NAME"):
            # Running as a hub-managed dashboard service: the hub gave this process its own
            # token, with the read-only dashboard role (never a user's rights).
            token = os.environ.get("JUPYTERHUB_API_TOKEN")
        return ServiceSource(url, token, report_file=_path(ENV_REPORT))
    files = [Path(p) for p in os.environ.get(ENV_STATION, "").split(os.pathsep) if p]
    return LocalSource(
        files or [demo_station_file()],
        plan_file=_path(ENV_PLAN),
        report_file=_path(ENV_REPORT),
        frames_dir=_path(ENV_FRAMES),
        store_url=os.environ.get(ENV_STORE) or None,
    )
