"""The device calls the service accepts, and how their arguments and results cross JSON.

Shared by the service and the kernel-side client (``obshub.client``) so both sides agree on one
vocabulary; nothing here imports FastAPI. Every method of the device interfaces that a remote
caller may use is listed in :data:`METHODS` with its argument types and whether it changes the
device (``write``: needs a control grant and the telescope's lease) or only reads it.

Values are tagged where JSON has no type for them: a ``SkyCoord`` is ``{"ra": deg, "dec": deg}``,
an angle is degrees, a duration seconds, a temperature degrees Celsius, an offset arcseconds.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
from astropy.coordinates import Angle, SkyCoord
from astropy.time import Time


class ArgError(ValueError):
    """An argument cannot be decoded; ``field`` names it (``args.target.ra``)."""

    def __init__(self, field_path: str, message: str):
        self.field = field_path
        super().__init__(f"{field_path}: {message}")


@dataclass(frozen=True)
class Param:
    """One argument: its JSON type tag, and its default when optional."""

    type: str
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class Method:
    """One remote-callable interface method."""

    write: bool
    params: dict[str, Param] = field(default_factory=dict)
    returns: str = "json"


def _p(type_: str, default: Any = ..., /) -> Param:
    if default is ...:
        return Param(type_)
    return Param(type_, required=False, default=default)


_WAIT = {"wait": _p("bool", True)}

METHODS: dict[str, dict[str, Method]] = {
    "mount": {
        "coordinates": Method(False, returns="skycoord"),
        "altaz": Method(False, returns="angles"),
        "is_parked": Method(False),
        "park": Method(True),
        "unpark": Method(True),
        "is_tracking": Method(False),
        "set_tracking": Method(True, {"on": _p("bool")}),
        "slew": Method(True, {"target": _p("skycoord"), **_WAIT}),
        "is_slewing": Method(False),
        "abort_slew": Method(True),
        "offset": Method(True, {"d_ra": _p("arcsec"), "d_dec": _p("arcsec")}),
        "side_of_pier": Method(False, returns="enum"),
        "sync": Method(True, {"target": _p("skycoord")}),
        "pulse_guide": Method(
            True, {"direction": _p("guide_direction"), "duration": _p("seconds")}
        ),
    },
    "camera": {
        "temperature": Method(False, returns="celsius"),
        "set_cooling": Method(True, {"on": _p("bool"), "target": _p("celsius?", None)}),
        "expose": Method(
            True,
            {
                "duration": _p("seconds"),
                "light": _p("bool", True),
                "binning": _p("binning?", None),
                "subframe": _p("subframe?", None),
                "gain": _p("int?", None),
            },
            returns="frame",
        ),
        "abort": Method(True),
        "state": Method(False, returns="enum"),
        "sensor_size": Method(False, returns="tuple"),
        "set_binning": Method(True, {"x": _p("int"), "y": _p("int?", None)}),
        "set_subframe": Method(
            True, {"x": _p("int"), "y": _p("int"), "width": _p("int"), "height": _p("int")}
        ),
        "full_frame": Method(True),
        "gain": Method(False),
        "set_gain": Method(True, {"gain": _p("int")}),
    },
    "filterwheel": {
        "names": Method(False),
        "position": Method(False),
        "filter": Method(False),
        "set_filter": Method(True, {"name_or_slot": _p("int|str")}),
        "focus_offsets": Method(False),
    },
    "focuser": {
        "position": Method(False),
        "move_to": Method(True, {"position": _p("int"), **_WAIT}),
        "move_by": Method(True, {"steps": _p("int"), **_WAIT}),
        "is_moving": Method(False),
        "halt": Method(True),
        "max_position": Method(False),
        "temperature": Method(False, returns="celsius"),
    },
    "rotator": {
        "angle": Method(False, returns="angle"),
        "move_to": Method(True, {"angle": _p("angle"), **_WAIT}),
        "is_moving": Method(False),
        "halt": Method(True),
    },
    "dome": {
        "shutter": Method(False, returns="enum"),
        "open": Method(True, dict(_WAIT)),
        "close": Method(True, dict(_WAIT)),
        "azimuth": Method(False, returns="angle"),
        "slew_to_azimuth": Method(True, {"azimuth": _p("angle"), **_WAIT}),
        "park": Method(True),
        "is_slewing": Method(False),
    },
    "cover": {
        "cover_state": Method(False, returns="enum"),
        "open_cover": Method(True, dict(_WAIT)),
        "close_cover": Method(True, dict(_WAIT)),
        "set_calibrator": Method(True, {"brightness": _p("int?", None)}),
    },
    "switch": {
        "names": Method(False),
        "get": Method(False, {"switch": _p("int|str")}),
        "set": Method(True, {"switch": _p("int|str"), "value": _p("number")}),
        "is_on": Method(False, {"switch": _p("int|str")}),
        "turn_on": Method(True, {"switch": _p("int|str")}),
        "turn_off": Method(True, {"switch": _p("int|str")}),
    },
    "observingconditions": {"read": Method(False, returns="conditions")},
    "safetymonitor": {"is_safe": Method(False)},
}
# Every device can be asked to (dis)connect its driver: that touches shared kit, so it is a write.
for _kind in METHODS:
    METHODS[_kind]["connect"] = Method(True)
    METHODS[_kind]["disconnect"] = Method(True)


def _finite(path: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ArgError(path, f"expected a number, got {type(v).__name__}")
    f = float(v)
    if not math.isfinite(f):
        raise ArgError(path, "must be finite")
    return f


def _int(path: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgError(path, f"expected an integer, got {type(v).__name__}")
    if abs(v) > 2**31:
        raise ArgError(path, "out of range")
    return v


def _decode(path: str, type_: str, v: Any) -> Any:
    """Turn one JSON value into what the interface method takes."""
    if type_.endswith("?"):
        return None if v is None else _decode(path, type_[:-1], v)
    if type_ == "bool":
        if not isinstance(v, bool):
            raise ArgError(path, f"expected true or false, got {type(v).__name__}")
        return v
    if type_ == "int":
        return _int(path, v)
    if type_ == "number":
        if isinstance(v, bool):
            return v
        return _finite(path, v)
    if type_ == "int|str":
        if isinstance(v, str):
            if not v or len(v) > 200:
                raise ArgError(path, "expected a non-empty name")
            return v
        return _int(path, v)
    if type_ == "seconds":
        s = _finite(path, v)
        if s < 0 or s > 86400:
            raise ArgError(path, "seconds must be in [0, 86400]")
        return s * u.s
    if type_ == "arcsec":
        a = _finite(path, v)
        if abs(a) > 36000:
            raise ArgError(path, "offsets are limited to 10 degrees")
        return a * u.arcsec
    if type_ == "celsius":
        c = _finite(path, v)
        if not -100 <= c <= 100:
            raise ArgError(path, "degrees Celsius must be in [-100, 100]")
        return c * u.deg_C
    if type_ == "angle":
        return Angle(_finite(path, v), u.deg)
    if type_ == "skycoord":
        if not isinstance(v, dict) or set(v) != {"ra", "dec"}:
            raise ArgError(path, 'expected {"ra": degrees, "dec": degrees}')
        ra = _finite(f"{path}.ra", v["ra"])
        dec = _finite(f"{path}.dec", v["dec"])
        if not -90 <= dec <= 90:
            raise ArgError(f"{path}.dec", "must be in [-90, 90]")
        return SkyCoord(ra % 360 * u.deg, dec * u.deg, frame="icrs")
    if type_ == "guide_direction":
        from obshub.devices.interfaces.mount import GuideDirection

        names = [d.name.lower() for d in GuideDirection]
        if not isinstance(v, str) or v.lower() not in names:
            raise ArgError(path, f"expected one of {names}")
        return GuideDirection[v.upper()]
    if type_ == "binning":
        if not (isinstance(v, list) and len(v) == 2):
            raise ArgError(path, "expected [x, y]")
        b = tuple(_int(f"{path}[{i}]", x) for i, x in enumerate(v))
        if any(not 1 <= x <= 16 for x in b):
            raise ArgError(path, "binning must be in [1, 16]")
        return b
    if type_ == "subframe":
        if not (isinstance(v, list) and len(v) == 4):
            raise ArgError(path, "expected [x, y, width, height]")
        return tuple(_int(f"{path}[{i}]", x) for i, x in enumerate(v))
    raise AssertionError(f"unknown type tag {type_}")  # a bug in METHODS


def decode_args(kind: str, method: str, args: Any) -> dict[str, Any]:
    """Check and convert a call's arguments.

    Raises
    ------
    ArgError
        Naming the first argument at fault (``method`` for an unknown method).
    """
    spec = METHODS.get(kind, {}).get(method)
    if spec is None:
        known = ", ".join(sorted(METHODS.get(kind, {})))
        raise ArgError("method", f"{kind} has no method {method!r} (known: {known})")
    if not isinstance(args, dict):
        raise ArgError("args", "expected an object of named arguments")
    unknown = sorted(set(args) - set(spec.params))
    if unknown:
        raise ArgError(f"args.{unknown[0]}", f"{method} takes no argument {unknown[0]!r}")
    out: dict[str, Any] = {}
    for name, p in spec.params.items():
        if name not in args:
            if p.required:
                raise ArgError(f"args.{name}", "is required")
            out[name] = p.default
            continue
        out[name] = _decode(f"args.{name}", p.type, args[name])
    return out


def encode_value(v: Any) -> Any:
    """Make an interface method's result JSON-ready (degrees, seconds, Celsius)."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, int | float):
        return v if not isinstance(v, float) or math.isfinite(v) else None
    if isinstance(v, SkyCoord):
        c = v.icrs
        return {"ra": float(c.ra.deg), "dec": float(c.dec.deg)}
    if isinstance(v, Angle):
        return float(v.deg)
    if isinstance(v, u.Quantity):
        if v.unit.is_equivalent(u.deg_C, equivalencies=u.temperature()):
            return float(v.to_value(u.deg_C, equivalencies=u.temperature()))
        return {"value": float(v.value), "unit": v.unit.to_string()}
    if isinstance(v, Time):
        return v.utc.isot
    if isinstance(v, dict):
        return {str(k): encode_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [encode_value(x) for x in v]
    if hasattr(v, "item"):  # numpy scalars
        return encode_value(v.item())
    return str(v)


def encode_args(kind: str, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The client's side: turn Python arguments into the JSON the service decodes."""
    spec = METHODS[kind][method]
    out: dict[str, Any] = {}
    for name, value in kwargs.items():
        p = spec.params[name]
        base = p.type.rstrip("?")
        if value is None:
            out[name] = None
        elif base == "seconds":
            out[name] = float(u.Quantity(value, u.s).to_value(u.s))
        elif base == "arcsec":
            out[name] = float(u.Quantity(value, u.arcsec).to_value(u.arcsec))
        elif base == "celsius":
            out[name] = float(
                u.Quantity(value, u.deg_C).to_value(u.deg_C, equivalencies=u.temperature())
            )
        elif base == "angle":
            out[name] = float(Angle(value, u.deg).deg)
        elif base == "skycoord":
            c = value.icrs
            out[name] = {"ra": float(c.ra.deg), "dec": float(c.dec.deg)}
        elif base == "guide_direction":
            out[name] = value.name.lower() if isinstance(value, enum.Enum) else str(value)
        elif base in ("binning", "subframe"):
            out[name] = [int(x) for x in value]
        elif base == "int":
            out[name] = int(value)
        elif base == "number" and not isinstance(value, bool):
            out[name] = float(value)
        else:
            out[name] = value
    return out


def decode_result(returns: str, v: Any, enum_type: type[enum.Enum] | None = None) -> Any:
    """The client's side: turn a JSON result back into astropy objects."""
    if v is None:
        return None
    if returns == "skycoord":
        return SkyCoord(v["ra"] * u.deg, v["dec"] * u.deg, frame="icrs")
    if returns == "angle":
        return Angle(v, u.deg)
    if returns == "angles":
        return tuple(Angle(x, u.deg) for x in v)
    if returns == "celsius":
        return v * u.deg_C
    if returns == "tuple":
        return tuple(v)
    if returns == "enum" and enum_type is not None:
        return enum_type[v]
    if returns == "conditions":
        return {k: _quantity(x) for k, x in v.items()}
    return v


def _quantity(x: Any) -> Any:
    if isinstance(x, dict) and "unit" in x:
        return u.Quantity(x["value"], x["unit"])
    if isinstance(x, int | float):
        return x * u.deg_C  # only temperatures come back as bare numbers
    return x
