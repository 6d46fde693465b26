"""Unit tests of the INDI client's pieces that need no server (fakes stand in for PyIndi's
socket only; the vectors are real PyIndi objects)."""

from __future__ import annotations

import asyncio

import pytest

from obshub.devices.indi.client import IndiConnection, _Listener
from obshub.devices.indi.props import PropState, PropType, Snapshot
from obshub.errors import DeviceError, DeviceTimeout


class _Recorder:
    """Stands in for the PyIndi client: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []

    def sendNewProperty(self, vector) -> None:  # noqa: N802 - PyIndi's name
        kind = vector.getTypeAsString()
        if "SWITCH" in kind:
            values = {w.getName(): bool(w.getState()) for w in vector}
        elif "NUMBER" in kind:
            values = {w.getName(): w.getValue() for w in vector}
        else:
            values = {w.getName(): w.getText() for w in vector}
        self.sent.append((vector.getDeviceName(), vector.getName(), values))


def _conn_with(*snaps: Snapshot) -> tuple[IndiConnection, _Recorder]:
    conn = IndiConnection("127.0.0.1", 1)
    rec = _Recorder()
    conn._client = rec  # type: ignore[assignment]
    conn._connected = True
    for s in snaps:
        conn._props[(s.device, s.name)] = s
    return conn, rec


def test_a_raising_callback_is_swallowed_and_counted():
    conn = IndiConnection("127.0.0.1", 1)
    listener = _Listener(conn)
    # Not a property at all: snapshotting it raises inside the callback.
    listener.updateProperty(object())
    listener.newProperty(None)
    assert conn.callback_errors == 2


def test_notify_after_the_loop_closed_is_harmless():
    conn = IndiConnection("127.0.0.1", 1)
    loop = asyncio.new_event_loop()
    conn._loop = loop
    loop.close()
    conn._notify()  # must not raise on the listener thread


async def test_at_most_one_switch_turns_the_other_off():
    shutter = Snapshot(
        "Dome",
        "DOME_SHUTTER",
        PropType.SWITCH,
        PropState.OK,
        {"SHUTTER_OPEN": True, "SHUTTER_CLOSE": False},
        rule=1,
    )
    conn, rec = _conn_with(shutter)
    await conn.send("Dome", "DOME_SHUTTER", {"SHUTTER_CLOSE": True}, "dome", "close", 1, wait=False)
    assert rec.sent == [("Dome", "DOME_SHUTTER", {"SHUTTER_OPEN": False, "SHUTTER_CLOSE": True})]


async def test_any_of_many_keeps_the_others():
    rev = Snapshot(
        "Mount",
        "TELESCOPE_REVERSE_MOTION",
        PropType.SWITCH,
        PropState.IDLE,
        {"REVERSE_NS": True, "REVERSE_WE": False},
        rule=2,
    )
    conn, rec = _conn_with(rev)
    await conn.send(
        "Mount", "TELESCOPE_REVERSE_MOTION", {"REVERSE_WE": True}, "m", "rev", 1, wait=False
    )
    assert rec.sent[0][2] == {"REVERSE_NS": True, "REVERSE_WE": True}


async def test_number_vector_is_completed_from_the_snapshot():
    frame = Snapshot(
        "CCD",
        "CCD_FRAME",
        PropType.NUMBER,
        PropState.IDLE,
        {"X": 0.0, "Y": 0.0, "WIDTH": 1280.0, "HEIGHT": 1024.0},
    )
    conn, rec = _conn_with(frame)
    await conn.send("CCD", "CCD_FRAME", {"WIDTH": 100}, "cam", "subframe", 1, wait=False)
    assert rec.sent[0][2] == {"X": 0.0, "Y": 0.0, "WIDTH": 100.0, "HEIGHT": 1024.0}


async def test_unknown_element_is_refused_before_sending():
    slot = Snapshot(
        "Wheel", "FILTER_SLOT", PropType.NUMBER, PropState.IDLE, {"FILTER_SLOT_VALUE": 1.0}
    )
    conn, rec = _conn_with(slot)
    with pytest.raises(DeviceError, match="no element"):
        await conn.send("Wheel", "FILTER_SLOT", {"SLOT": 2}, "fw", "position", 1)
    assert rec.sent == []


async def test_a_request_nobody_answers_times_out_naming_device_and_operation():
    slot = Snapshot(
        "Wheel", "FILTER_SLOT", PropType.NUMBER, PropState.IDLE, {"FILTER_SLOT_VALUE": 1.0}
    )
    conn, rec = _conn_with(slot)
    with pytest.raises(DeviceTimeout) as err:
        await conn.send("Wheel", "FILTER_SLOT", {"FILTER_SLOT_VALUE": 2}, "fw", "position", 0.2)
    assert err.value.device == "fw" and err.value.operation == "position"
    assert len(rec.sent) == 1


async def test_a_busy_property_is_waited_for_before_sending():
    busy = Snapshot(
        "Wheel", "FILTER_SLOT", PropType.NUMBER, PropState.BUSY, {"FILTER_SLOT_VALUE": 1.0}
    )
    conn, rec = _conn_with(busy)
    with pytest.raises(DeviceTimeout, match="leave Busy"):
        await conn.send("Wheel", "FILTER_SLOT", {"FILTER_SLOT_VALUE": 2}, "fw", "position", 0.2)
    assert rec.sent == []
