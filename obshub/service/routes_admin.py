"""Who am I, users' grants, the audit log and project membership."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from obshub import __version__
from obshub.service import leases as L
from obshub.service import scopes as S
from obshub.service.context import Caller, Ctx
from obshub.service.errors import ApiError
from obshub.service.scopes import Right

router = APIRouter()

_PRINCIPAL = re.compile(r"^(user|group|service):[A-Za-z0-9@._+\-]{1,150}$")


@router.get("/health", tags=["meta"], summary="Liveness (no authentication)")
async def health(ctx: Ctx) -> dict[str, Any]:
    return {
        "ok": True,
        "version": __version__,
        "sites": sorted(ctx.registry.sites),
        "hub": ctx.settings.hub,
    }


@router.get("/me", tags=["meta"], summary="The caller, their scopes, grants and leases")
async def me(ctx: Ctx, caller: Caller) -> dict[str, Any]:
    grants = ctx.db.grants_for(caller.grant_keys)
    leases = [lease for s in ctx.registry.sites for lease in L.held_by(ctx.db, s, caller.key)]
    return {
        "name": caller.name,
        "kind": caller.kind,
        "key": caller.key,
        "groups": list(caller.groups),
        "scopes": sorted(caller.scopes),
        "grants": grants,
        "leases": leases,
    }


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principal: str = Field(description="user:NAME, group:NAME or service:NAME", max_length=160)
    right: Right
    telescope: str | None = Field(
        None, description="a telescope; the whole site if null", max_length=100
    )

    @field_validator("principal")
    @classmethod
    def _p(cls, v: str) -> str:
        if not _PRINCIPAL.match(v):
            raise ValueError("must be user:NAME, group:NAME or service:NAME")
        return v


@router.get("/sites/{site_id}/grants", tags=["grants"], summary="A site's grants (owner)")
async def list_grants(site_id: str, ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.own)
    return ctx.db.list_grants(site.id)


@router.post(
    "/sites/{site_id}/grants",
    tags=["grants"],
    status_code=201,
    summary="Grant a user or group a right on the site or a telescope (owner)",
)
async def add_grant(site_id: str, grant: GrantIn, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.own)
    if grant.right is Right.own and not caller.is_admin:
        raise ApiError(403, "only an administrator makes site owners", "body.right", "forbidden")
    if grant.telescope is not None and grant.telescope not in site.telescopes:
        raise ApiError(
            422,
            f"{site.id}: no telescope {grant.telescope!r} (known: {', '.join(site.telescopes)})",
            "body.telescope",
            "validation_error",
        )
    row = ctx.db.add_grant(grant.principal, site.id, grant.telescope, grant.right.value, caller.key)
    ctx.db.record(
        caller.key,
        site.id,
        "grant.add",
        telescope=grant.telescope,
        args=grant.model_dump(mode="json"),
    )
    return row


@router.delete(
    "/sites/{site_id}/grants/{grant_id}", tags=["grants"], summary="Withdraw a grant (owner)"
)
async def delete_grant(site_id: str, grant_id: int, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.own)
    row = ctx.db.get_grant(grant_id)
    if row is None or row["site"] != site.id:
        raise ApiError(404, f"{site.id}: no grant {grant_id}", "grant_id", "not_found")
    if row["right"] == Right.own.value and not caller.is_admin:
        raise ApiError(403, "only an administrator removes site owners", None, "forbidden")
    ctx.db.delete_grant(grant_id)
    ctx.db.record(caller.key, site.id, "grant.delete", args=row)
    return {"deleted": row}


@router.get(
    "/sites/{site_id}/audit",
    tags=["grants"],
    summary="Who did what at the site, newest first (owner)",
)
async def audit(
    site_id: str, ctx: Ctx, caller: Caller, limit: int = Query(200, ge=1, le=5000)
) -> list[dict[str, Any]]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.own)
    return ctx.db.list_audit(site.id, limit)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9@._+\-]+$")


@router.post(
    "/projects/{project}/members",
    tags=["grants"],
    status_code=201,
    summary="Share a project's frames with a user (site owners, admins)",
)
async def add_member(project: str, member: MemberIn, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    if not re.match(r"^[A-Za-z0-9_.\-]{1,100}$", project):
        raise ApiError(
            422, "project names use letters, digits, _ . -", "project", "validation_error"
        )
    if not (caller.is_admin or caller.has(S.OWN)):
        raise ApiError(403, f"{caller.name} may not manage projects", None, "forbidden")
    ctx.db.add_project_member(project, member.user)
    return {"project": project, "user": member.user}
