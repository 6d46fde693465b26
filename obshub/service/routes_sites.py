"""Sites, their live status, devices and device calls, and port configuration."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from obshub.frames import capture_frame
from obshub.service import leases as L
from obshub.service.codec import METHODS, decode_args, encode_value
from obshub.service.context import Caller, Ctx
from obshub.service.errors import ApiError
from obshub.service.scopes import Right
from obshub.service.stations import PORT_FIELDS, Site, port_view

router = APIRouter(tags=["sites"])


def night_of(site: Site, now: dt.datetime | None = None) -> str:
    """The night a moment belongs to: the site's local date twelve hours earlier."""
    now = now or dt.datetime.now(dt.UTC)
    local = now.astimezone(ZoneInfo(site.config.site.timezone)) - dt.timedelta(hours=12)
    return local.date().isoformat()


@router.get("/sites", summary="Sites the caller can see")
async def list_sites(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    return [
        s.summary()
        for s in ctx.registry.sites.values()
        if ctx.access.allowed(caller, s, Right.view, anywhere=True)
    ]


@router.get("/sites/{site_id}", summary="A site: telescopes, ports and devices")
async def get_site(site_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    return site.summary()


@router.get("/sites/{site_id}/config", summary="The site's station configuration (as edited)")
async def get_config(site_id: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    return site.config.model_dump(mode="json", exclude_none=True)


@router.get(
    "/sites/{site_id}/status",
    summary="Every device's live state",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}},
            "description": "station, site, devices{name: status}, leases",
        }
    },
)
async def site_status(site_id: str, ctx: Ctx, caller: Caller) -> Response:
    site = ctx.access.site(site_id)
    ctx.access.require(caller, site, Right.view, anywhere=True)
    await site.status(ctx.settings.status_cache_s)
    leases = json.dumps(ctx.db.list_leases(site.id)).encode()
    # The shared snapshot's bytes with this moment's leases spliced in.
    body = site.status_json[:-1] + b', "leases": ' + leases + b"}"
    return Response(body, media_type="application/json")


def _device(site: Site, name: str):
    entry = site.devices.get(name)
    if entry is None:
        known = ", ".join(site.devices)
        raise ApiError(
            404, f"{site.id}: no device {name!r} (known: {known})", "device", "not_found"
        )
    return entry


def _view_device(ctx: Ctx, caller: Caller, site: Site, entry: Any) -> None:
    if entry.telescope is None:
        ctx.access.require(caller, site, Right.view, anywhere=True)
    else:
        ctx.access.require(caller, site, Right.view, entry.telescope)


@router.get("/sites/{site_id}/devices/{device}", summary="One device's live state")
async def device_status(site_id: str, device: str, ctx: Ctx, caller: Caller) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    entry = _device(site, device)
    _view_device(ctx, caller, site, entry)
    snap = await entry.device.status()
    return {**snap, "telescope": entry.telescope, "kind": entry.kind}


class Call(BaseModel):
    """One interface method call (see ``GET /methods`` for the vocabulary)."""

    model_config = ConfigDict(extra="forbid")
    method: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


@router.get("/methods", summary="The device methods callable per device kind", tags=["devices"])
async def methods() -> dict[str, Any]:
    return {
        kind: {
            name: {
                "write": m.write,
                "params": {
                    p: {"type": spec.type, "required": spec.required, "default": spec.default}
                    for p, spec in m.params.items()
                },
                "returns": m.returns,
            }
            for name, m in ms.items()
        }
        for kind, ms in METHODS.items()
    }


def _lease_ok(ctx: Ctx, caller: Caller, site: Site, telescope: str | None) -> bool:
    if telescope is not None:
        return L.holds(ctx.db, site.id, telescope, caller.key)
    # Site kit (dome, cover, power) belongs to whoever is using a telescope of the site.
    return bool(L.held_by(ctx.db, site.id, caller.key))


@router.post(
    "/sites/{site_id}/devices/{device}/call", summary="Call a device method", tags=["devices"]
)
async def call_device(
    site_id: str, device: str, call: Call, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """Reads need a view grant; writes need a control grant and the telescope's lease."""
    site = ctx.access.site(site_id)
    entry = _device(site, device)
    _view_device(ctx, caller, site, entry)
    spec = METHODS[entry.kind].get(call.method)
    kwargs = decode_args(entry.kind, call.method, call.args)
    assert spec is not None  # decode_args raised otherwise
    if spec.write:
        ctx.access.require(caller, site, Right.control, entry.telescope)
        if not _lease_ok(ctx, caller, site, entry.telescope):
            what = entry.telescope or "any telescope of the site"
            ctx.db.record(
                caller.key,
                site.id,
                call.method,
                telescope=entry.telescope,
                device=entry.name,
                args=call.args,
                outcome="denied",
                message="no lease",
            )
            raise ApiError(
                409,
                f"{call.method} on {entry.name} needs the control lease of "
                f"{what}: PUT .../telescopes/<name>/lease first",
                None,
                "lease_required",
            )
    try:
        if call.method == "expose":
            result: Any = await _expose(ctx, caller, site, entry, kwargs)
        else:
            result = encode_value(await getattr(entry.device, call.method)(**kwargs))
    except Exception as exc:
        if spec.write:
            ctx.db.record(
                caller.key,
                site.id,
                call.method,
                telescope=entry.telescope,
                device=entry.name,
                args=call.args,
                outcome="error",
                message=str(exc),
            )
        raise
    if spec.write:
        ctx.db.record(
            caller.key,
            site.id,
            call.method,
            telescope=entry.telescope,
            device=entry.name,
            args=call.args,
        )
    return {"device": entry.name, "method": call.method, "result": result}


async def _expose(ctx: Ctx, caller: Caller, site: Site, entry: Any, kw: dict[str, Any]):
    """Take a frame, write it as the caller's FITS file and say where to download it."""
    cam = entry.device
    if kw.get("subframe") is not None:
        await cam.set_subframe(*kw["subframe"])
    if kw.get("gain") is not None:
        await cam.set_gain(kw["gain"])
    night = night_of(site)
    out = ctx.settings.frames_dir / site.id / night
    out.mkdir(parents=True, exist_ok=True)
    _, inst = site.station.instrument(entry.name)
    path, digest, image = await capture_frame(
        site.station,
        out,
        instrument=inst.name,
        duration=kw["duration"],
        light=kw["light"],
        binning=kw.get("binning"),
        imagetyp=None if kw["light"] else "Dark Frame",
        extra_header={"OWNER": caller.name},
    )
    return {
        "night": night,
        "file": path.name,
        "sha256": digest,
        "url": f"{ctx.settings.api_prefix}/sites/{site.id}/nights/{night}/frames/{path.name}",
        "shape": list(image.data.shape),
        "start": image.start.utc.isot,
        "duration": float(kw["duration"].value),
    }


class PortPatch(BaseModel):
    """Fields of a port an instrument configurer may change (``null`` removes one)."""

    model_config = ConfigDict(extra="forbid")
    script: str | None = Field(None, max_length=200)
    focal_length: float | None = Field(None, gt=0, le=100000)
    aperture: float | None = Field(None, gt=0, le=10000)
    filters: list[str] | None = Field(None, max_length=50)
    focus_offsets: dict[str, int] | None = None
    gain: int | None = Field(None, ge=0, le=100000)


def _port(site: Site, telescope: str, port: str):
    for m in site.config.mounts:
        if m.name == telescope:
            for p in m.ports:
                if p.name == port:
                    return p
            known = ", ".join(p.name for p in m.ports)
            raise ApiError(
                404, f"{telescope}: no port {port!r} (known: {known})", "port", "not_found"
            )
    raise ApiError(404, f"{site.id}: no telescope {telescope!r}", "telescope", "not_found")


@router.get(
    "/sites/{site_id}/telescopes/{telescope}/ports/{port}/config",
    summary="A port's editable configuration",
)
async def get_port(
    site_id: str, telescope: str, port: str, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    p = _port(site, telescope, port)
    ctx.access.require(caller, site, Right.view, telescope)
    return port_view(p)


@router.patch(
    "/sites/{site_id}/telescopes/{telescope}/ports/{port}/config",
    summary="Edit a port's instrument configuration and script",
)
async def patch_port(
    site_id: str, telescope: str, port: str, patch: PortPatch, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    site = ctx.access.site(site_id)
    _port(site, telescope, port)
    ctx.access.require(caller, site, Right.configure, telescope)
    changes = patch.model_dump(exclude_unset=True)
    if not changes:
        raise ApiError(
            422, f"give at least one of {', '.join(PORT_FIELDS)}", "body", "validation_error"
        )
    patches = ctx.db.port_patches(site.id)
    merged = {**patches.get((telescope, port), {}), **changes}
    patches[(telescope, port)] = merged
    ctx.registry.apply_patches(site, patches)  # raises ConfigError (422) if invalid
    ctx.db.set_port_patch(site.id, telescope, port, merged, caller.key)
    ctx.db.record(
        caller.key, site.id, "port.configure", telescope=telescope, args={"port": port, **changes}
    )
    return port_view(_port(site, telescope, port))
