"""``evlearn info FILE``: what is in an event recording."""
from __future__ import annotations

import json

import numpy as np


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "info",
        help="summarise an N-MNIST .bin recording",
        description="Read an N-MNIST (40-bit binary) recording, validate it and report event count, "
        "duration, event rate, sensor extent and polarity balance.",
        **with_examples("evlearn info evlearn/samples/0/00002.bin",
                        "evlearn info recording.bin --json       one JSON object, for scripts"),
    )
    parser.add_argument("file", help="path to a .bin recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def summarise(events) -> dict:
    """Summary statistics of an event array (pure function, used by tests)."""
    n = int(events.size)
    duration_us = int(events["t"][-1] - events["t"][0]) if n else 0
    on = int(np.count_nonzero(events["p"] == 1)) if n else 0
    return {
        "events": n,
        "duration_ms": duration_us / 1e3,
        "rate_events_per_s": n / (duration_us * 1e-6) if duration_us else 0.0,
        "x_range": [int(events["x"].min()), int(events["x"].max())] if n else None,
        "y_range": [int(events["y"].min()), int(events["y"].max())] if n else None,
        "on_fraction": on / n if n else None,
    }


def run(args) -> int:
    from evlearn.datasets.nmnist import SENSOR_SIZE, read_nmnist

    events = read_nmnist(args.file)
    info = {"file": args.file, "sensor_size": list(SENSOR_SIZE), **summarise(events)}
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"{args.file}")
    print(f"  events       {info['events']}")
    print(f"  duration     {info['duration_ms']:.1f} ms")
    print(f"  rate         {info['rate_events_per_s'] / 1e3:.1f} k events/s")
    print(f"  sensor       {SENSOR_SIZE.width} x {SENSOR_SIZE.height}, {SENSOR_SIZE.polarities} polarities")
    if info["events"]:
        print(f"  x, y range   {info['x_range']}, {info['y_range']}")
        print(f"  polarity     {info['on_fraction']:.1%} ON / {1 - info['on_fraction']:.1%} OFF")
    return 0
