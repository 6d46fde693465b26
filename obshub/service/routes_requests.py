"""Observing requests (submit, list, cancel), the queue and the scheduler's plan."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Body, Query

from obshub.service.context import Caller, Ctx
from obshub.service.errors import ApiError
from obshub.service.requests import validate_request
from obshub.service.scopes import Right

router = APIRouter(tags=["requests"])

State = Literal["queued", "cancelled", "done", "failed"]


def _rid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ApiError(
            422, f"not a request id: {value!r}", "request_id", "validation_error"
        ) from exc


@router.post("/sites/{site_id}/requests", status_code=201, summary="Submit an observing request")
async def submit(
    site_id: str,
    ctx: Ctx,
    caller: Caller,
    payload: dict[str, Any] = Body(  # noqa: B008 - FastAPI's way to declare a body
        ...,
        examples=[
            {
                "target": {"name": "M 57", "ra": 283.396, "dec": 33.029},
                "exposures": [{"filter": "R", "seconds": 60, "count": 5}],
                "priority": 5,
            }
        ],
    ),
) -> dict[str, Any]:
    """The request is validated by the scheduler's schema (a minimal one until it exists)."""
    site = ctx.access.site(site_id)
    tels = _telescopes(payload)
    known = [t for t in tels if t in site.telescopes]
    if known:
        for t in known:
            ctx.access.require(caller, site, Right.observe, t)
    else:
        ctx.access.require(caller, site, Right.observe, anywhere=True)
    unknown = [t for t in tels if t not in site.telescopes]
    if unknown:
        raise ApiError(
            422,
            f"{site.id}: no telescope {unknown[0]!r} (known: {', '.join(site.telescopes)})",
            "body.telescopes",
            "validation_error",
        )
    req = validate_request(payload, caller.name, str(uuid.uuid4()))
    project = req.get("program") or req.get("project")
    stored = ctx.db.add_request(site.id, caller.key, project, req)
    return stored


def _telescopes(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    tels = payload.get("telescopes")
    if isinstance(tels, list):
        return [t for t in tels if isinstance(t, str)]
    tel = payload.get("telescope")
    return [tel] if isinstance(tel, str) else []


@router.get("/sites/{site_id}/requests", summary="Requests: one's own, or all for a site owner")
async def list_requests(
    site_id: str,
    ctx: Ctx,
    caller: Caller,
    state: State | None = None,
    mine: bool = Query(False, description="only the caller's, even for a site owner"),
    limit: int = Query(500, ge=1, le=5000),
) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    owner = None if (ctx.access.owns(caller, site) and not mine) else caller.key
    return ctx.db.list_requests(site.id, owner=owner, state=state, limit=limit)


def _visible(ctx: Ctx, caller: Caller, site_id: str, rid: str) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    req = ctx.db.get_request(_rid(rid))
    if req is None or req["site"] != site.id:
        raise ApiError(404, f"{site.id}: no request {rid}", "request_id", "not_found")
    if req["owner"] != caller.key and not ctx.access.owns(caller, site):
        raise ApiError(403, f"request {rid} is not {caller.name}'s", None, "forbidden")
    return req


@router.get("/sites/{site_id}/requests/{request_id}", summary="One request")
async def get_request(site_id: str, request_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    return _visible(ctx, caller, site_id, request_id)


@router.delete("/sites/{site_id}/requests/{request_id}", summary="Cancel a queued request")
async def cancel(site_id: str, request_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    req = _visible(ctx, caller, site_id, request_id)
    site = ctx.access.site(site_id)
    if req["owner"] == caller.key:
        ctx.access.require(caller, site, Right.observe, anywhere=True)
    if req["state"] != "queued":
        raise ApiError(
            409, f"request {request_id} is {req['state']}, not queued", None, "invalid_state"
        )
    ctx.db.set_request_state(req["id"], "cancelled")
    ctx.db.record(caller.key, site.id, "request.cancel", args={"id": req["id"]})
    return ctx.db.get_request(req["id"]) or {}


@router.get(
    "/sites/{site_id}/queue", summary="Queued requests of every user (read-only)", tags=["schedule"]
)
async def queue(site_id: str, ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    out = []
    for r in ctx.db.list_requests(site.id, state="queued"):
        p = r["payload"]
        out.append(
            {
                "id": r["id"],
                "owner": r["owner"].split(":", 1)[-1],
                "target": _target_name(p),
                "telescope": p.get("telescope") if isinstance(p, dict) else None,
                "priority": p.get("priority") if isinstance(p, dict) else None,
                "submitted_at": r["submitted_at"],
            }
        )
    return out


@router.get(
    "/sites/{site_id}/schedule",
    summary="The scheduler's current plan (read-only)",
    tags=["schedule"],
)
async def schedule(site_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    """The plan the scheduler wrote to ``$OBSHUB_PLANS_DIR/<site>.json``, if any."""
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    path = ctx.settings.plans_dir / f"{site.id}.json"
    try:
        plan = json.loads(path.read_text())
    except FileNotFoundError:
        plan = None
    except (OSError, ValueError) as exc:
        raise ApiError(
            409, f"the plan file {path.name} cannot be read: {exc}", None, "plan_unreadable"
        ) from exc
    return {"site": site.id, "plan": plan}


def _target_name(p: Any) -> str | None:
    t = p.get("target") if isinstance(p, dict) else None
    if isinstance(t, dict):
        return t.get("name")
    return t if isinstance(t, str) else None
