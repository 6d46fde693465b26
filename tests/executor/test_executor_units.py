"""Unit tests of the executor's pure parts: blocks, plans, focus fits, flips, motion hook."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from obshub.errors import ConfigError
from obshub.executor.autofocus import fit_focus, measure_hfr
from obshub.executor.blocks import load_block, parse_block, plan_frames
from obshub.executor.meridian import decide
from obshub.executor.motion import LocalMotion
from obshub.executor.scripts import dither_offset, script_class
from obshub.station.model import MeridianConfig, MountType, PortKind

TARGET = {"name": "M13", "ra": "16h41m41.2s", "dec": "+36d27m35s"}


def test_block_errors_name_every_problem_with_its_path():
    with pytest.raises(ConfigError) as exc:
        parse_block(
            {
                "name": "bad name",
                "target": {"name": "x", "ra": 400, "dec": "north"},
                "exposures": [{"filter": "L", "exposure": -1, "count": 0, "binnig": 2}],
                "dither": {"pattern": "zigzag"},
            },
            "b.yaml",
        )
    text = str(exc.value)
    for path in (
        "name",
        "target.ra",
        "target.dec",
        "exposures[0].exposure",
        "exposures[0].count",
        "exposures[0].binnig",
        "dither.pattern",
    ):
        assert f"  {path}:" in text, path
    assert text.startswith("b.yaml: 7 problem(s)")


def test_block_needs_something_to_take_and_a_target_for_lights():
    with pytest.raises(ConfigError, match="nothing to take"):
        parse_block({"name": "x", "target": TARGET})
    with pytest.raises(ConfigError, match="need a 'target'"):
        parse_block({"name": "x", "exposures": [{"exposure": 1, "count": 1}]})
    # Calibration-only blocks need no target.
    parse_block({"name": "darks", "calibration": {"bias": 3}})


def test_examples_load(tmp_path):
    from pathlib import Path

    files = sorted(Path(__file__).parents[2].joinpath("examples/blocks").glob("*.yaml"))
    assert files
    for f in files:
        assert plan_frames(load_block(f))


def test_unreadable_and_invalid_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_block(tmp_path / "missing.yaml")
    p = tmp_path / "b.yaml"
    p.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_block(p)


def test_plan_keys_are_stable_and_unique():
    b = parse_block(
        {
            "name": "x",
            "target": TARGET,
            "exposures": [
                {"filter": "L", "exposure": "500 ms", "count": 2},
                {"filter": "R", "exposure": 1, "count": 1},
                {"filter": "L", "exposure": 0.5, "count": 1},
            ],
            "calibration": {"bias": 2, "darks": [{"exposure": 1, "count": 1}]},
        }
    )
    keys = [f.key for f in plan_frames(b)]
    assert len(keys) == len(set(keys)) == 7
    # The repeated L line continues the count instead of colliding.
    assert keys[3] == "light:L:0.5s:b1:gNone#0003"
    cycled = parse_block({**b.model_dump(), "executor": {"order": "cycled"}})
    assert [f.filter for f in plan_frames(cycled)][:3] == ["L", "R", "L"]
    assert sorted(f.key for f in plan_frames(cycled)) == sorted(keys)


def test_proper_motion_moves_the_target():
    from astropy.time import Time

    b = parse_block(
        {
            "name": "barnard",
            "target": {
                "name": "Barnard's star",
                "ra": 269.452,
                "dec": 4.6933,
                "pm_ra_cosdec": -802.8,
                "pm_dec": 10362.5,
                "epoch": "J2000",
            },
            "exposures": [{"exposure": 1, "count": 1}],
        }
    )
    c = b.target.coord(Time("J2020"))
    assert abs(c.dec.deg - (4.6933 + 10.3625 * 20 / 3600)) < 1e-3


def _star_field(fwhm: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.normal(1000, 10, (256, 256))
    yy, xx = np.mgrid[0:256, 0:256]
    sigma = fwhm / 2.3548
    for x, y in rng.uniform(20, 236, (25, 2)):
        img += 5000 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    return img


def test_hfr_grows_with_star_size_and_fit_finds_the_minimum():
    sizes = {fwhm: measure_hfr(_star_field(fwhm)) for fwhm in (2.0, 3.0, 5.0)}
    assert all(s is not None and s.stars >= 20 for s in sizes.values())
    assert sizes[2.0].hfr < sizes[3.0].hfr < sizes[5.0].hfr
    assert sizes[2.0].fwhm < sizes[5.0].fwhm
    assert measure_hfr(np.random.default_rng(0).normal(100, 5, (64, 64))) is None
    pos = np.arange(9000, 11001, 250)
    hfr = np.sqrt(1.5**2 + (0.004 * (pos - 10120)) ** 2)
    fit = fit_focus(list(pos), list(hfr))
    assert abs(fit.best - 10120) < 5 and fit.bracketed
    par = fit_focus(list(pos), list((pos - 9900) ** 2 / 1e5 + 2), "parabola")
    assert abs(par.best - 9900) < 5
    with pytest.raises(ValueError, match="no minimum"):
        fit_focus([1, 2, 3], [1, 2, 1])


def test_meridian_decisions():
    cfg = MeridianConfig(flip_after=5, max_past=15)
    gem = MountType.german_equatorial
    assert decide(gem, cfg, -1.0, 60, False).action == "none"
    assert decide(gem, cfg, 6 / 60, 60, False).action == "flip"
    assert decide(gem, cfg, 6 / 60, 60, True).action == "none"
    # A long frame that would cross the hard limit before the flip point: wait, then flip.
    wait = decide(gem, cfg, 0.0, 1200, False)
    assert wait.action == "wait" and 290 < wait.wait_seconds < 310
    assert decide(MountType.fork, cfg, 1.0, 60, False).action == "none"


def test_dither_offsets_are_deterministic_and_bounded():
    a = [dither_offset("random", n, 10, "blk") for n in range(1, 20)]
    assert a == [dither_offset("random", n, 10, "blk") for n in range(1, 20)]
    assert all(np.hypot(*o) <= 10 for o in a)
    assert len(set(a)) == len(a)
    assert dither_offset("none", 3, 10) == (0.0, 0.0)
    s = [dither_offset("spiral", n, 10) for n in range(1, 9)]
    assert len(set(s)) == 8


def test_script_class_loading():
    from obshub.executor.scripts import InstrumentScript, SpectroscopyScript

    assert script_class(None, PortKind.imaging) is InstrumentScript
    assert script_class(None, PortKind.spectroscopy) is SpectroscopyScript
    assert (
        script_class("obshub.executor.scripts:SpectroscopyScript", PortKind.imaging)
        is SpectroscopyScript
    )
    with pytest.raises(ConfigError, match="cannot load"):
        script_class("nope.module:Thing", PortKind.imaging)
    with pytest.raises(ConfigError, match="not an InstrumentScript"):
        script_class("obshub.executor.blocks:Block", PortKind.imaging)


async def test_motion_waits_for_exposures_on_the_same_mount_only():
    m = LocalMotion()
    log: list[str] = []
    release = asyncio.Event()

    async def expose(mount: str, name: str) -> None:
        async with m.exposure(mount, name):
            log.append(f"start {name}")
            await release.wait()
            log.append(f"end {name}")

    async def move(mount: str) -> None:
        async with m.mount_motion(mount, "dither"):
            log.append(f"move {mount}")

    t1 = asyncio.create_task(expose("A", "cam1"))
    t2 = asyncio.create_task(expose("A", "cam2"))
    await asyncio.sleep(0)
    mv = asyncio.create_task(move("A"))
    other = asyncio.create_task(move("B"))
    await other
    for _ in range(5):
        await asyncio.sleep(0)
    assert "move A" not in log and "move B" in log
    # A waiting motion holds back new exposures on its mount.
    t3 = asyncio.create_task(expose("A", "cam3"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert "start cam3" not in log
    release.set()
    await asyncio.gather(t1, t2, mv, t3)
    assert log.index("move A") > log.index("end cam1")
    assert log.index("move A") > log.index("end cam2")
    assert log.index("start cam3") > log.index("move A")
