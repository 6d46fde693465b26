"""``obshub`` entry point: dispatches to one module per subcommand.

Each module in :data:`COMMANDS` defines ``register(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed arguments and returning an exit code). A module that is
not there yet (or whose optional dependencies are missing) is skipped, so the CLI always runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from obshub import __version__
from obshub.errors import ObshubError

COMMANDS = [
    "sim",
    "check",
    "status",
    "expose",
    "discover",
    "observe",
    "schedule",
    "hub",
    "demo",
    "night",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obshub", description="Telescopes over IP: control, schedule and synchronise."
    )
    parser.add_argument("--version", action="version", version=f"obshub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"obshub.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("obshub.cli."):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ObshubError as exc:
        print(f"obshub {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        return 0


if __name__ == "__main__":
    sys.exit(main())
