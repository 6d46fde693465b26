"""Fair share: programs' shares of telescope time, balanced against what they already used.

Each program has a share (a club's members' pool, a site owner's own time …) and optionally an
allocation in hours. A request's weight is its priority scaled by how far its program is below
or above its share of the time used so far; a program whose allocation is spent gets nothing
("share used up"). Programs not listed get share 1 and no allocation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: The weight factor stays within these bounds, so priority still dominates share.
MIN_FACTOR, MAX_FACTOR = 0.5, 2.0


@dataclass
class Program:
    name: str
    share: float = 1.0
    allocation_hours: float | None = None
    used_hours: float = 0.0


@dataclass
class FairShare:
    """Shares and usage of programs; :meth:`factor` and :meth:`account`."""

    programs: dict[str, Program] = field(default_factory=dict)

    @classmethod
    def from_specs(cls, specs: dict) -> FairShare:
        return cls(
            {
                name: Program(name, s.share, s.allocation_hours, s.used_hours)
                for name, s in (specs or {}).items()
            }
        )

    def program(self, name: str) -> Program:
        if name not in self.programs:
            self.programs[name] = Program(name)
        return self.programs[name]

    def factor(self, name: str) -> float:
        """Weight multiplier: 2^(1 − used_fraction / share_fraction), clipped to [0.5, 2].

        A program that used exactly its share gets 1; one that used nothing yet gets the most.
        """
        total_share = sum(p.share for p in self.programs.values()) or 1.0
        total_used = sum(p.used_hours for p in self.programs.values())
        p = self.program(name)
        if total_used <= 0:
            return 1.0
        ratio = (p.used_hours / total_used) / (p.share / total_share)
        return float(min(MAX_FACTOR, max(MIN_FACTOR, 2.0 ** (1.0 - ratio))))

    def remaining_hours(self, name: str) -> float | None:
        p = self.program(name)
        if p.allocation_hours is None:
            return None
        return max(0.0, p.allocation_hours - p.used_hours)

    def exhausted(self, name: str, need_hours: float = 0.0) -> str | None:
        """Why program ``name`` cannot have ``need_hours`` more, or None."""
        rem = self.remaining_hours(name)
        if rem is None:
            return None
        if rem <= 0 or rem < need_hours:
            p = self.program(name)
            return (
                f"program {name!r} has used {p.used_hours:.1f} h of its {p.allocation_hours:.1f} h "
                f"allocation ({rem:.2f} h left, needs {need_hours:.2f} h)"
            )
        return None

    def account(self, entries: Iterable) -> None:
        """Charge executed plan entries (``state == 'done'``) to their programs."""
        for e in entries:
            if getattr(e, "state", "done") == "done":
                self.program(e.program).used_hours += e.minutes / 60.0

    def usage(self) -> dict[str, dict[str, float | None]]:
        return {
            n: {
                "share": p.share,
                "used_hours": p.used_hours,
                "allocation_hours": p.allocation_hours,
            }
            for n, p in self.programs.items()
        }
