"""Sample plan and night report in the dashboards' format: for tests, docs and trying things out.

Real ones come from the scheduler and the executor (through the service, or as JSON files in
standalone use); these have the same shape.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def sample_plan(now: datetime | None = None, extra_block: bool = False) -> dict:
    """A plan as the scheduler would publish it: two telescopes, a queue, a refusal."""
    now = now or datetime.now(UTC)
    t = [now + timedelta(minutes=m) for m in range(-60, 600, 30)]
    blocks = [
        ("Demo Observatory/main", "M13", "alice", 8, t[0], t[2], "done"),
        ("Demo Observatory/main", "M57", "bob", 5, t[2], t[4], "running"),
        ("Demo Observatory/main", "Algol", "alice", 9, t[4], t[6], "scheduled"),
        ("Demo Observatory/east", "M31", "carol", 6, t[1], t[5], "running"),
        ("Demo Observatory/east", "M33", "bob", 4, t[5], t[8], "scheduled"),
    ]
    if extra_block:
        blocks.append(("Demo Observatory/east", "NGC7000", "dave", 7, t[8], t[10], "scheduled"))
    iso = lambda d: d.isoformat()  # noqa: E731
    return {
        "generated": iso(now),
        "blocks": [
            {
                "telescope": tel,
                "site": "Demo Observatory",
                "request": f"r{i}",
                "target": tgt,
                "owner": own,
                "program": "variables" if tgt == "Algol" else "club",
                "priority": pr,
                "start": iso(a),
                "end": iso(b),
                "state": st,
            }
            for i, (tel, tgt, own, pr, a, b, st) in enumerate(blocks)
        ],
        "queue": [
            {
                "request": "r9",
                "target": "M51",
                "owner": "dave",
                "program": "club",
                "priority": 3,
                "state": "queued",
                "site": "Demo Observatory",
            },
            {
                "request": "r10",
                "target": "Mira",
                "owner": "alice",
                "program": "variables",
                "priority": 7,
                "state": "queued",
                "site": "Demo Observatory",
            },
        ],
        "unscheduled": [
            {
                "request": "r11",
                "target": "Sirius",
                "owner": "bob",
                "site": "Demo Observatory",
                "reason": "never above 20° altitude during the night window",
            },
        ],
        "programs": [{"program": "variables", "owner": "alice", "done": 14, "total": 40}],
    }


SAMPLE_REPORT = {
    "night": "2026-11-25",
    "telescopes": {
        "Demo Observatory/main": {
            "exposing_s": 5.5 * 3600,
            "slewing_s": 900,
            "waiting_safety_s": 1800,
            "lost_to_sync_s": 120,
            "idle_s": 2400,
            "frames": 412,
        },
        "Demo Observatory/east": {
            "exposing_s": 4.2 * 3600,
            "slewing_s": 700,
            "waiting_safety_s": 1800,
            "idle_s": 3000,
            "frames": 160,
        },
    },
}
