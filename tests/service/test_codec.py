"""The device-call vocabulary: arguments checked with the field at fault, values round-tripped."""

from __future__ import annotations

import astropy.units as u
import pytest
from astropy.coordinates import Angle, SkyCoord

from obshub.devices import interfaces as I
from obshub.service.codec import (
    METHODS,
    ArgError,
    decode_args,
    decode_result,
    encode_args,
    encode_value,
)


def test_every_abstract_interface_method_is_callable_remotely():
    kinds = {
        "mount": I.Mount,
        "camera": I.Camera,
        "filterwheel": I.FilterWheel,
        "focuser": I.Focuser,
        "rotator": I.Rotator,
        "dome": I.Dome,
        "cover": I.Cover,
        "switch": I.Switch,
        "observingconditions": I.ObservingConditions,
        "safetymonitor": I.SafetyMonitor,
    }
    for kind, iface in kinds.items():
        missing = set(iface.__abstractmethods__) - set(METHODS[kind]) - {"status"}
        assert not missing, (kind, missing)


def test_round_trip_of_client_arguments():
    target = SkyCoord(283.396 * u.deg, 33.029 * u.deg)
    wire = encode_args("mount", "slew", {"target": target, "wait": False})
    back = decode_args("mount", "slew", wire)
    assert back["target"].separation(target) < 1 * u.arcsec and back["wait"] is False
    wire = encode_args("camera", "expose", {"duration": 250 * u.ms, "binning": (2, 2)})
    back = decode_args("camera", "expose", wire)
    assert back["duration"] == 0.25 * u.s and back["binning"] == (2, 2) and back["light"]
    assert decode_args("camera", "set_cooling", {"on": True, "target": -10})["target"] == (
        -10 * u.deg_C
    )


@pytest.mark.parametrize(
    "kind,method,args,field",
    [
        ("mount", "fly", {}, "method"),
        ("mount", "slew", {}, "args.target"),
        ("mount", "slew", {"target": {"ra": 1, "dec": 91}}, "args.target.dec"),
        ("mount", "slew", {"target": [1, 2]}, "args.target"),
        ("mount", "set_tracking", {"on": "yes"}, "args.on"),
        ("mount", "park", {"now": True}, "args.now"),
        ("mount", "pulse_guide", {"direction": "up", "duration": 1}, "args.direction"),
        ("camera", "expose", {"duration": float("nan")}, "args.duration"),
        ("camera", "expose", {"duration": 1, "binning": [0, 1]}, "args.binning"),
        ("focuser", "move_to", {"position": 1.5}, "args.position"),
        ("focuser", "move_to", {"position": True}, "args.position"),
    ],
)
def test_bad_arguments_name_the_field(kind, method, args, field):
    with pytest.raises(ArgError) as exc:
        decode_args(kind, method, args)
    assert exc.value.field == field


def test_results_encode_and_decode():
    c = encode_value(SkyCoord(10 * u.deg, 20 * u.deg))
    assert decode_result("skycoord", c).dec.deg == pytest.approx(20)
    assert encode_value(Angle(30, u.deg)) == 30
    assert encode_value(-5 * u.deg_C) == -5
    assert decode_result("enum", encode_value(I.PierSide.EAST), I.PierSide) is I.PierSide.EAST
    cond = decode_result(
        "conditions", encode_value({"humidity": 50 * u.percent, "temperature": 3 * u.deg_C})
    )
    assert cond["humidity"].unit == u.percent and cond["temperature"].value == 3
