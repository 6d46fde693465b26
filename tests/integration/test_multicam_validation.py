"""Blocks on several instruments are checked against the station before anything moves."""

from __future__ import annotations

import pytest
from multicam_helpers import two_mount_station_dict

from obshub.errors import ConfigError
from obshub.executor.blocks import parse_block
from obshub.executor.multi import MultiBlockRunner, make_runner
from obshub.executor.runner import BlockRunner
from obshub.sim.stations import alpaca_station
from obshub.station import parse_station
from obshub.station.station import Station
from obshub.store import Store
from obshub.sync import strict_plan

TARGET = {"name": "field", "ra": 10.0, "dec": 40.0}


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 's.db'}")
    yield s
    s.close()


def _station(data) -> Station:
    return Station(parse_station(data))


def _block(**kw):
    return parse_block({"name": "b", "target": TARGET, **kw})


def test_block_schema_errors_name_their_key():
    with pytest.raises(ConfigError) as e:
        parse_block(
            {
                "name": "b",
                "target": TARGET,
                "instrument": "main.imaging",
                "instruments": ["main.imaging", {"instrument": "main.imaging", "exposures": []}],
                "exposures": [{"exposure": 1, "count": 1}],
                "sync": {"policy": "sometimes"},
            }
        )
    text = str(e.value)
    assert "sync.policy" in text and "strict" in text
    with pytest.raises(ConfigError, match="not both"):
        _block(
            instrument="main.imaging",
            instruments=["main.imaging"],
            exposures=[{"exposure": 1, "count": 1}],
        )
    with pytest.raises(ConfigError, match="instruments named twice: main.imaging"):
        _block(
            instruments=["main.imaging", "main.imaging"], exposures=[{"exposure": 1, "count": 1}]
        )
    with pytest.raises(ConfigError, match="sync.leader 'main.x' is not one of the instruments"):
        _block(
            instruments=["main.imaging", "main.imaging2"],
            exposures=[{"exposure": 1, "count": 1}],
            sync={"policy": "loose", "leader": "main.x"},
        )
    with pytest.raises(ConfigError, match=r"instruments\[1\].min_exposure"):
        # The error names the key even inside the list of instruments.
        parse_block(
            {
                "name": "b",
                "target": TARGET,
                "instruments": [
                    "main.imaging",
                    {"instrument": "main.imaging2", "min_exposure": -1},
                ],
                "exposures": [{"exposure": 1, "count": 1}],
            }
        )
    with pytest.raises(ConfigError, match="flats in a block with several instruments"):
        _block(
            instruments=["main.imaging", "main.imaging2"],
            exposures=[{"exposure": 1, "count": 1}],
            calibration={"flats": [{"count": 2}]},
        )


def test_station_errors_are_listed_together(store, tmp_path):
    st = _station(alpaca_station("127.0.0.1:9", cameras=2))
    block = _block(
        instruments=[
            "main.nothere",
            {
                "instrument": "main.imaging2",
                "exposures": [{"filter": "R", "exposure": 1, "count": 1}],
            },
            {
                "instrument": "main.imaging",
                "exposures": [{"filter": "Z", "exposure": 1, "count": 1}],
            },
        ]
    )
    with pytest.raises(ConfigError) as e:
        MultiBlockRunner(st, block, store, tmp_path)
    text = str(e.value)
    assert "instruments[0].instrument" in text and "main.nothere" in text and "known:" in text
    assert "instruments[1].exposures[0].filter: main.imaging2 has no filter wheel" in text
    assert "instruments[2].exposures[0].filter" in text and "no filter 'Z'" in text


def test_mounts_that_do_not_cooperate_are_refused(store, tmp_path):
    block = _block(
        instruments=["east.imaging", "west.imaging"], exposures=[{"exposure": 1, "count": 1}]
    )
    apart = _station(two_mount_station_dict("127.0.0.1:9", "127.0.0.1:10", cooperate=False))
    with pytest.raises(ConfigError, match=r"add cooperates_with: \[west\] to mount 'east'"):
        MultiBlockRunner(apart, block, store, tmp_path)
    together = _station(two_mount_station_dict("127.0.0.1:9", "127.0.0.1:10"))
    runner = MultiBlockRunner(together, block, store, tmp_path)
    assert runner.group is not None and list(runner.mount_states) == ["east", "west"]


def test_planned_needs_one_exposure_time_per_instrument(store, tmp_path):
    st = _station(alpaca_station("127.0.0.1:9", cameras=2))
    block = _block(
        instruments=[
            {
                "instrument": "main.imaging",
                "exposures": [
                    {"filter": "L", "exposure": 60, "count": 3},
                    {"filter": "R", "exposure": 90, "count": 3},
                ],
            },
            {"instrument": "main.imaging2", "exposures": [{"exposure": 30, "count": 6}]},
        ],
        dither={"pattern": "random", "every": 3},
        sync={"policy": "planned"},
    )
    with pytest.raises(
        ConfigError, match=r"instruments\[0\].exposures: planned: main.imaging needs one"
    ):
        MultiBlockRunner(st, block, store, tmp_path)


def test_planned_frames_take_the_plans_exposures(store, tmp_path):
    st = _station(alpaca_station("127.0.0.1:9", cameras=2))
    block = _block(
        instruments=[
            {
                "instrument": "main.imaging",
                "exposures": [{"exposure": 60, "count": 6}],
                "readout": 15,
            },
            {
                "instrument": "main.imaging2",
                "exposures": [{"exposure": 100, "count": 4}],
                "readout": 40,
            },
        ],
        dither={"pattern": "random", "every": 3, "settle": 5},
        sync={"policy": "planned", "exposure_range": [0.6, 1.5]},
    )
    runner = MultiBlockRunner(st, block, store, tmp_path)
    plan = runner.plans["main"]
    assert plan.efficiency() >= strict_plan(list(plan.specs.values()), plan.dither).efficiency()
    for lane in runner.lanes:
        train = plan.trains[lane.inst.name]
        assert {f.exposure for f in lane.plan} == {round(train.exposure, 3)}
        # Keys keep the nominal exposure (stable if the plan changes) and name the instrument.
        assert all(f.key.startswith(lane.inst.name + "/light:-:") for f in lane.plan)


def test_single_instrument_blocks_keep_the_plain_runner(store, tmp_path):
    st = _station(alpaca_station("127.0.0.1:9", cameras=2))
    plain = _block(exposures=[{"exposure": 1, "count": 1}])
    assert type(make_runner(st, plain, store, tmp_path)) is BlockRunner
    synced = _block(exposures=[{"exposure": 1, "count": 1}], sync={"policy": "loose"})
    r = make_runner(st, synced, store, tmp_path)
    assert isinstance(r, MultiBlockRunner) and [ln.inst.name for ln in r.lanes] == ["main.imaging"]


def test_example_block_fits_the_example_station(store, tmp_path):
    from pathlib import Path

    from obshub.executor.blocks import load_block

    root = Path(__file__).parents[2] / "examples"
    station = Station.from_file(root / "multicam-station.yaml")
    runner = MultiBlockRunner(station, load_block(root / "blocks/multicam.yaml"), store, tmp_path)
    assert [ln.inst.name for ln in runner.lanes] == [
        "main.imaging",
        "main.imaging2",
        "main.imaging3",
    ]
    plan = runner.plans["main"]
    assert plan.trains["main.imaging3"].frames <= 2
    assert runner.summary is not None and len(runner.plan) == 9 + 6 + 4


def test_the_plain_runner_refuses_several_instruments(store, tmp_path):
    st = _station(alpaca_station("127.0.0.1:9", cameras=2))
    block = _block(
        instruments=["main.imaging", "main.imaging2"], exposures=[{"exposure": 1, "count": 1}]
    )
    with pytest.raises(ConfigError, match="make_runner"):
        BlockRunner(st, block, store, tmp_path)
