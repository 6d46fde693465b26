"""Nights and frames: FITS files under ``$OBSHUB_FRAMES_DIR/<site>/<night>/``.

A frame belongs to the user named in its ``OWNER`` keyword (the service's own exposures write
it) and to the project in ``PROJECT``; a frame without ``OWNER`` whose ``OBSBLOCK`` (written by
the executor) names a submitted request belongs to that request's owner and project. An observer sees their own frames and
those of projects they are a member of; a site owner and an administrator see all of a site's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from astropy.io import fits
from fastapi import APIRouter
from fastapi.responses import FileResponse

from obshub.service.auth import Principal
from obshub.service.context import Caller, Context, Ctx
from obshub.service.errors import ApiError
from obshub.service.scopes import Right
from obshub.service.stations import Site

router = APIRouter(tags=["frames"])

_NIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE = re.compile(r"^[A-Za-z0-9._+\-]+\.fits?$")


@lru_cache(maxsize=4096)
def _header(path: str, mtime: float) -> dict[str, Any]:
    try:
        h = fits.getheader(path)
    except (OSError, ValueError):
        return {}
    keep = (
        "OWNER",
        "PROJECT",
        "OBSBLOCK",
        "OBJECT",
        "FILTER",
        "EXPTIME",
        "DATE-OBS",
        "IMAGETYP",
        "TELESCOP",
        "INSTRUME",
    )
    return {k: h.get(k) for k in keep if k in h}


def _request_owners(ctx: Context, site: Site) -> dict[str, tuple[str, str | None]]:
    """Request id (the service's, and the request's own ``id``) → (owner name, project)."""
    out: dict[str, tuple[str, str | None]] = {}
    for r in ctx.db.list_requests(site.id, limit=100000):
        who = (r["owner"].split(":", 1)[-1], r["project"])
        out[r["id"]] = who
        if isinstance(r["payload"], dict) and isinstance(r["payload"].get("id"), str):
            out.setdefault(r["payload"]["id"], who)
    return out


def _frame(
    path: Path,
    site: Site,
    night: str,
    prefix: str,
    owners: dict[str, tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    st = path.stat()
    h = _header(str(path), st.st_mtime)
    owner, project = h.get("OWNER"), h.get("PROJECT")
    if owner is None and owners and h.get("OBSBLOCK") in owners:
        # Written by the executor for a block made from a request: the request's owner.
        owner, req_project = owners[h["OBSBLOCK"]]
        project = project or req_project
    return {
        "night": night,
        "file": path.name,
        "size": st.st_size,
        "owner": owner,
        "project": project,
        "block": h.get("OBSBLOCK"),
        "object": h.get("OBJECT"),
        "filter": h.get("FILTER"),
        "exptime": h.get("EXPTIME"),
        "date_obs": h.get("DATE-OBS"),
        "imagetyp": h.get("IMAGETYP"),
        "url": f"{prefix}/sites/{site.id}/nights/{night}/frames/{path.name}",
    }


def _may_see(
    ctx: Context, caller: Principal, site: Site, frame: dict[str, Any], projects: set[str]
) -> bool:
    if ctx.access.owns(caller, site):
        return True
    if frame["owner"] and frame["owner"] == caller.name:
        return True
    return bool(frame["project"]) and frame["project"] in projects


def _night_dir(ctx: Context, site: Site, night: str) -> Path:
    if not _NIGHT.match(night):
        raise ApiError(422, f"a night is YYYY-MM-DD, not {night!r}", "night", "validation_error")
    return ctx.settings.frames_dir / site.id / night


def _frames(ctx: Context, caller: Principal, site: Site, night: str) -> list[dict[str, Any]]:
    d = _night_dir(ctx, site, night)
    if not d.is_dir():
        return []
    projects = ctx.db.projects_of(caller.name)
    owners = _request_owners(ctx, site)
    out = []
    for p in sorted(d.iterdir()):
        if _FILE.match(p.name) and p.is_file():
            f = _frame(p, site, night, ctx.settings.api_prefix, owners)
            if _may_see(ctx, caller, site, f, projects):
                out.append(f)
    return out


@router.get("/sites/{site_id}/nights", summary="Nights with frames at a site")
async def nights(site_id: str, ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    root = ctx.settings.frames_dir / site.id
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir(), reverse=True):
        if d.is_dir() and _NIGHT.match(d.name):
            out.append({"night": d.name, "frames": len(_frames(ctx, caller, site, d.name))})
    return out


@router.get(
    "/sites/{site_id}/nights/{night}/frames", summary="Frames of a night the caller may see"
)
async def night_frames(site_id: str, night: str, ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    return _frames(ctx, caller, site, night)


@router.get(
    "/sites/{site_id}/nights/{night}/frames/{filename}",
    summary="Download a FITS file",
    response_class=FileResponse,
    responses={200: {"content": {"application/fits": {}}}},
)
async def download(site_id: str, night: str, filename: str, ctx: Ctx, caller: Caller):
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    if not _FILE.match(filename):
        raise ApiError(422, f"not a frame file name: {filename!r}", "filename", "validation_error")
    path = _night_dir(ctx, site, night) / filename
    if not path.is_file() or path.is_symlink():
        raise ApiError(404, f"{site.id}/{night}: no frame {filename!r}", "filename", "not_found")
    f = _frame(path, site, night, ctx.settings.api_prefix, _request_owners(ctx, site))
    if not _may_see(ctx, caller, site, f, ctx.db.projects_of(caller.name)):
        raise ApiError(
            403, f"{filename} is not {caller.name}'s and no project shares it", None, "forbidden"
        )
    return FileResponse(path, media_type="application/fits", filename=filename)
