"""Immutable snapshots of INDI properties, taken on PyIndi's listener thread.

PyIndi's property objects belong to its listener thread, which rewrites them as updates
arrive. Everything obshub reads is a snapshot copied inside the callback, so the event loop
never touches a live property object.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import PyIndi


class PropState(enum.IntEnum):
    """INDI property states (``IPState``)."""

    IDLE = 0
    OK = 1
    BUSY = 2
    ALERT = 3


class PropType(enum.IntEnum):
    """INDI property types (``INDI_PROPERTY_TYPE``)."""

    NUMBER = 0
    SWITCH = 1
    TEXT = 2
    LIGHT = 3
    BLOB = 4
    UNKNOWN = 5


@dataclass(frozen=True)
class Blob:
    """One BLOB element's payload."""

    data: bytes
    format: str


@dataclass(frozen=True)
class Snapshot:
    """One property as it was at one update.

    Attributes
    ----------
    device, name
        INDI device and property names.
    type
        Number, switch, text, light or BLOB.
    state
        The property's state (Idle, Ok, Busy, Alert).
    values
        Element name → value: float for numbers, bool for switches, str for texts,
        :class:`PropState` for lights, :class:`Blob` for BLOBs. In the driver's order.
    rule
        The switch rule (0 one-of-many, 1 at-most-one, 2 any), ``None`` for other types.
    generation
        Counts updates of this property since the client connected; a wait for "the next
        update after my request" compares generations.
    """

    device: str
    name: str
    type: PropType
    state: PropState
    values: dict[str, Any] = field(default_factory=dict)
    rule: int | None = None
    permission: int = 2
    generation: int = 0
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return self.state is PropState.BUSY

    def on(self) -> list[str]:
        """Names of the switches that are on."""
        return [k for k, v in self.values.items() if v]

    def number(self, element: str) -> float:
        return float(self.values[element])


def snapshot(prop: Any, generation: int) -> Snapshot:
    """Copy a live PyIndi property (call only on the listener thread, inside a callback)."""
    ptype = PropType(int(prop.getType()))
    values: dict[str, Any] = {}
    rule: int | None = None
    limits: dict[str, tuple[float, float]] = {}
    if ptype is PropType.NUMBER:
        for w in PyIndi.PropertyNumber(prop):
            values[w.getName()] = float(w.getValue())
            limits[w.getName()] = (float(w.getMin()), float(w.getMax()))
    elif ptype is PropType.SWITCH:
        sp = PyIndi.PropertySwitch(prop)
        rule = int(sp.getRule())
        for w in sp:
            values[w.getName()] = w.getState() == PyIndi.ISS_ON
    elif ptype is PropType.TEXT:
        for w in PyIndi.PropertyText(prop):
            values[w.getName()] = str(w.getText() or "")
    elif ptype is PropType.LIGHT:
        for w in PyIndi.PropertyLight(prop):
            values[w.getName()] = PropState(int(w.getState()))
    elif ptype is PropType.BLOB:
        for w in PyIndi.PropertyBlob(prop):
            raw = w.getblobdata()
            values[w.getName()] = Blob(bytes(raw) if raw else b"", str(w.getFormat() or ""))
    return Snapshot(
        device=str(prop.getDeviceName()),
        name=str(prop.getName()),
        type=ptype,
        state=PropState(int(prop.getState())),
        values=values,
        rule=rule,
        permission=int(prop.getPermission()),
        generation=generation,
        limits=limits,
    )


def number_vector(device: str, name: str, values: dict[str, float]) -> Any:
    """A private number vector to send: never shared with the listener thread."""
    p = PyIndi.PropertyNumber(len(values))
    p.setDeviceName(device)
    p.setName(name)
    for i, (k, v) in enumerate(values.items()):
        p[i].setName(k)
        p[i].setValue(float(v))
    return p


def switch_vector(device: str, name: str, states: dict[str, bool]) -> Any:
    """A private switch vector to send, with exactly the states given."""
    p = PyIndi.PropertySwitch(len(states))
    p.setDeviceName(device)
    p.setName(name)
    for i, (k, v) in enumerate(states.items()):
        p[i].setName(k)
        p[i].setState(PyIndi.ISS_ON if v else PyIndi.ISS_OFF)
    return p


def text_vector(device: str, name: str, values: dict[str, str]) -> Any:
    """A private text vector to send."""
    p = PyIndi.PropertyText(len(values))
    p.setDeviceName(device)
    p.setName(name)
    for i, (k, v) in enumerate(values.items()):
        p[i].setName(k)
        p[i].setText(str(v))
    return p
