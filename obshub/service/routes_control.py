"""Control leases and the site's scheduler policy."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from obshub.service import leases as L
from obshub.service import scopes as S
from obshub.service.context import Caller, Ctx
from obshub.service.errors import ApiError
from obshub.service.scopes import Right

router = APIRouter(tags=["leases"])


@router.get("/sites/{site_id}/leases", summary="Active control leases of a site")
async def list_leases(site_id: str, ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    return ctx.db.list_leases(site.id)


class LeaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration_s: float | None = Field(None, gt=0, description="seconds; the site's default if unset")
    scheduler: bool = Field(False, description="take it as the site's scheduler/executor")


@router.put(
    "/sites/{site_id}/telescopes/{telescope}/lease",
    summary="Take or renew a telescope's control lease",
)
async def acquire_lease(
    site_id: str, telescope: str, req: LeaseRequest, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """409 with the current holder when someone else has it."""
    site = ctx.access.site(site_id)
    ctx.access.telescope(site, telescope)
    if req.scheduler:
        if not (caller.has(S.SCHEDULER) or caller.is_admin):
            raise ApiError(403, f"{caller.name} lacks {S.SCHEDULER}", "body.scheduler", "forbidden")
    else:
        ctx.access.require(caller, site, Right.control, telescope)
    duration = req.duration_s or ctx.settings.lease_default_s
    if duration > ctx.settings.lease_max_s:
        raise ApiError(
            422, f"at most {ctx.settings.lease_max_s:g} s", "body.duration_s", "validation_error"
        )
    policy = ctx.db.scheduler_policy(site.id, ctx.settings.scheduler_policy)
    try:
        lease, preempted = L.acquire(
            ctx.db, site.id, telescope, caller.key, duration, scheduler=req.scheduler, policy=policy
        )
    except L.LeaseHeld as exc:
        raise ApiError(
            409, f"{site.id}/{telescope}: the lease is {exc}", None, "lease_held"
        ) from exc
    return {**lease, "preempted": preempted}


@router.delete(
    "/sites/{site_id}/telescopes/{telescope}/lease",
    summary="Release a telescope's lease (the holder, a site owner or an admin)",
)
async def release_lease(site_id: str, telescope: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.telescope(site, telescope)
    ctx.access.require(caller, site, Right.view, telescope)
    cur = L.current(ctx.db, site.id, telescope)
    if cur is None:
        raise ApiError(404, f"{site.id}/{telescope}: no active lease", None, "not_found")
    if cur["holder"] != caller.key and not ctx.access.owns(caller, site):
        raise ApiError(
            403,
            f"the lease is held by {cur['holder']}; only they, a site owner "
            "or an admin may release it",
            None,
            "forbidden",
        )
    released = L.release(ctx.db, site.id, telescope, caller.key)
    return {"released": released}


class SiteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduler_policy: Literal["preempt", "wait"]


@router.get("/sites/{site_id}/settings", summary="The site's lease policy")
async def get_settings(site_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    return {
        "scheduler_policy": ctx.db.scheduler_policy(site.id, ctx.settings.scheduler_policy),
        "lease_default_s": ctx.settings.lease_default_s,
        "lease_max_s": ctx.settings.lease_max_s,
    }


@router.put("/sites/{site_id}/settings", summary="Set the site's lease policy (owner)")
async def put_settings(
    site_id: str, body: SiteSettings, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.own)
    ctx.db.set_scheduler_policy(site.id, body.scheduler_policy, caller.key)
    ctx.db.record(caller.key, site.id, "settings", args=body.model_dump())
    return await get_settings(site_id, ctx, caller)
