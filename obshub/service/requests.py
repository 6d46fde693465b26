"""Validating submitted observing requests: the scheduler's schema when it is there.

The scheduler (``obshub.scheduler.requests``) owns what a request is. This module is the seam:
if that module offers ``parse_request(dict)`` or a pydantic ``ObservationRequest``, its verdict
is used; otherwise the minimal schema below, which the service can store and list, and which
names the field at fault the same way.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from obshub.errors import ObshubError


class RequestInvalid(ValueError):
    """A submitted request is invalid; ``problems`` are ``(field path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Strict):
    name: str = Field(min_length=1, max_length=100)
    ra: float = Field(ge=0, lt=360, description="ICRS right ascension, degrees")
    dec: float = Field(ge=-90, le=90, description="ICRS declination, degrees")


class Exposure(_Strict):
    filter: str | None = Field(None, max_length=40)
    duration: float = Field(gt=0, le=3600, description="seconds")
    count: int = Field(1, ge=1, le=1000)
    binning: int = Field(1, ge=1, le=8)


class Window(_Strict):
    start: dt.datetime
    end: dt.datetime

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Constraints(_Strict):
    min_altitude: float | None = Field(None, ge=0, lt=90)
    max_airmass: float | None = Field(None, ge=1, le=10)
    min_moon_separation: float | None = Field(None, ge=0, le=180)


class MinimalRequest(_Strict):
    """A request the service accepts until the scheduler's own schema is installed."""

    target: Target
    exposures: list[Exposure] = Field(min_length=1, max_length=50)
    telescope: str | None = Field(None, max_length=100)
    instrument: str | None = Field(None, max_length=100)
    priority: int = Field(5, ge=1, le=10)
    project: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    window: Window | None = None
    constraints: Constraints = Constraints()


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [(".".join(str(x) for x in e["loc"]) or "<body>", e["msg"]) for e in exc.errors()]


def validate_request(payload: Any, owner: str, request_id: str) -> dict[str, Any]:
    """Check a request and return what to store (JSON-ready, owner and id filled in).

    With the scheduler installed (``obshub.scheduler.requests.RequestSpec``) the request is
    its request spec: ``owner`` is always the caller and ``id`` is made when missing; the
    target is resolved so an unknown name is refused now rather than at night.

    Raises
    ------
    RequestInvalid
        With every problem and the field at fault.
    """
    if not isinstance(payload, dict):
        raise RequestInvalid([("<body>", "a request must be a JSON object")])
    try:
        mod = importlib.import_module("obshub.scheduler.requests")
    except ImportError:
        mod = None
    if mod is None or not hasattr(mod, "RequestSpec"):
        try:
            return MinimalRequest.model_validate(payload).model_dump(mode="json")
        except ValidationError as exc:
            raise RequestInvalid(_problems(exc)) from exc
    data = {**payload, "owner": owner}
    data.setdefault("id", request_id)
    try:
        spec = mod.RequestSpec.model_validate(data)
    except ValidationError as exc:
        raise RequestInvalid(_problems(exc)) from exc
    except (ValueError, TypeError, ObshubError) as exc:
        raise RequestInvalid([("<body>", str(exc))]) from exc
    try:
        mod.build_request(spec)
    except (ValueError, TypeError, ObshubError) as exc:
        raise RequestInvalid([("target", str(exc))]) from exc
    return data
