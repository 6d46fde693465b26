"""Reading station files: YAML → validated :class:`StationConfig`, every problem at once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from obshub.errors import ConfigError
from obshub.station.model import Protocol, StationConfig


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _pydantic_problems(err: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for e in err.errors():
        # Discriminated/union errors add the branch type to the path; it means nothing to a user.
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (misspelt?)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        problems.append((_loc(loc), msg))
    return problems


def _semantic_problems(cfg: StationConfig) -> list[tuple[str, str]]:
    """Cross-references pydantic cannot check field by field."""
    problems: list[tuple[str, str]] = []
    servers = cfg.servers

    def check_ref(path: str, ref: Any) -> None:
        if ref is None:
            return
        srv = servers.get(ref.server)
        if srv is None:
            known = ", ".join(sorted(servers)) or "none"
            problems.append((f"{path}.server", f"no server named {ref.server!r} (known: {known})"))
            return
        if srv.protocol is Protocol.alpaca and ref.device is not None:
            problems.append(
                (f"{path}.device", "Alpaca devices are named by 'number', not 'device'")
            )
        if srv.protocol is Protocol.indi and ref.device is None:
            problems.append((f"{path}.device", "INDI devices need 'device' (the INDI device name)"))
        if srv.protocol is Protocol.indi and ref.number is not None:
            problems.append((f"{path}.number", "INDI devices are named by 'device', not 'number'"))

    for kind, count in Counter(m.name for m in cfg.mounts).items():
        if count > 1:
            problems.append(("mounts", f"mount name {kind!r} is used {count} times"))
    mount_names = {m.name for m in cfg.mounts}
    for i, m in enumerate(cfg.mounts):
        mp = f"mounts[{i}]"
        check_ref(f"{mp}.device", m.device)
        for name, count in Counter(p.name for p in m.ports).items():
            if count > 1:
                problems.append((f"{mp}.ports", f"port name {name!r} is used {count} times"))
        for other in m.cooperates_with:
            if other not in mount_names or other == m.name:
                problems.append((f"{mp}.cooperates_with", f"no other mount named {other!r}"))
        for j, p in enumerate(m.ports):
            pp = f"{mp}.ports[{j}]"
            for attr in ("camera", "filter_wheel", "focuser", "rotator"):
                check_ref(f"{pp}.{attr}", getattr(p, attr))
            fw = p.filter_wheel
            if fw is not None and fw.filters is not None:
                dups = [f for f, c in Counter(fw.filters).items() if c > 1]
                if dups:
                    problems.append(
                        (f"{pp}.filter_wheel.filters", f"duplicate filter names {dups}")
                    )
                if fw.focus_offsets:
                    unknown = sorted(set(fw.focus_offsets) - set(fw.filters))
                    if unknown:
                        problems.append(
                            (
                                f"{pp}.filter_wheel.focus_offsets",
                                f"offsets for unknown filters {unknown}",
                            )
                        )
    for attr in ("dome", "cover", "safety_monitor", "observing_conditions"):
        check_ref(attr, getattr(cfg, attr))
    for i, s in enumerate(cfg.switches):
        check_ref(f"switches[{i}].device", s.device)

    # Two station entries driving one physical device would fight over it.
    seen: dict[tuple[str, str, Any], str] = {}
    for name, kind, ref in cfg.device_refs():
        key = (ref.server, kind, ref.number if ref.number is not None else ref.device)
        if key[2] is None:
            key = (ref.server, kind, 0)
        if key in seen and kind != "switch":
            problems.append((name, f"same device as {seen[key]} ({kind} {key[2]} on {ref.server})"))
        seen.setdefault(key, name)

    addresses = Counter(s.address for s in servers.values())
    for name, srv in servers.items():
        if addresses[srv.address] > 1:
            problems.append((f"servers.{name}.address", f"{srv.address} is used by another server"))
    return problems


def parse_station(data: Any, source: str = "<station>") -> StationConfig:
    """Validate already-parsed YAML data.

    Raises
    ------
    ConfigError
        With every problem found, each with its key path.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            source, [("", "a station file must be a mapping (site:, servers:, mounts:, …)")]
        )
    try:
        cfg = StationConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(source, _pydantic_problems(err)) from None
    problems = _semantic_problems(cfg)
    if problems:
        raise ConfigError(source, problems)
    return cfg


def load_station(path: str | Path) -> StationConfig:
    """Read and validate a station file.

    Raises
    ------
    ConfigError
        The file is missing, is not YAML, or does not describe a valid station; the message
        names the file, and each problem's key path (or line, for YAML syntax errors).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [("", f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(str(p), [(where, f"not valid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(p), [("", f"not valid YAML: {exc}")]) from None
    return parse_station(data, str(p))
