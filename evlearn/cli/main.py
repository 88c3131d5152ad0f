"""The ``evlearn`` command: one parser, one sub-command module per part.

Each module in SUBCOMMANDS provides ``add_parser(subparsers)`` and sets
``func`` on its parser. Library errors (ValueError, OSError) become one line on
stderr and exit status 2; nothing else prints a traceback. A sub-command whose
module fails to import stays listed, and running it says why (the other
commands keep working).
"""
from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("info", "convert", "demo", "feast", "dendrites", "hebbian", "bench")

EPILOG = """\
examples:
  evlearn demo                                   FEAST vs event-count frames on the shipped N-MNIST samples
  evlearn info recording.raw --json              format, events, sensor, duration, rate (any camera format)
  evlearn convert recording.aedat4 out.raw       AEDAT 4.0 -> EVT 2.0, streaming
  evlearn feast fit --train DIR/Train --out model.npz
  evlearn feast evaluate --model model.npz --test DIR/Test --json
  evlearn dendrites prob --n 10000 --a 300 --s 24 --theta 12
  evlearn hebbian figures --out results/hebbian --quick
  evlearn bench run benchmarks/configs/split_mnist.toml --out runs/split_mnist
  evlearn COMMAND --help                         options and examples of one command
"""


def build_parser() -> argparse.ArgumentParser:
    from evlearn import __version__

    parser = argparse.ArgumentParser(
        prog="evlearn",
        description="Neuromorphic and event-based learning: event streams, FEAST features, "
        "active dendrites, multitasking Hebbian networks and continual-learning benchmarks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"evlearn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module_name = f"evlearn.cli.{name}"
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            _add_unavailable(subparsers, name, f"importing {module_name} failed ({type(err).__name__}: {err})")
            continue
        module.add_parser(subparsers)
    return parser


def _add_unavailable(subparsers, name: str, reason: str) -> None:
    def explain(args):
        raise ValueError(f"this command is unavailable: {reason}; reinstall evlearn (see README.md)")

    parser = subparsers.add_parser(name, help=f"(unavailable: {reason})", description=reason,
                                   epilog=f"examples:\n  evlearn {name} --help    shows why it is unavailable",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ignored", nargs=argparse.REMAINDER, help="arguments of the unavailable command")
    parser.set_defaults(func=explain)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"evlearn {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        print(f"evlearn {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
