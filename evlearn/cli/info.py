"""``evlearn info FILE``: what is in an event recording, read as a stream (constant memory)."""
from __future__ import annotations

import json

FORMATS_HELP = "evt2, evt3 (.raw), dat, aedat4, nmnist (.bin), npy"


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "info",
        help="summarise an event recording (EVT 2.0/3.0, DAT, AEDAT 4.0, N-MNIST .bin, .npy)",
        description="Read an event file chunk by chunk, validate it and report its format, event count, "
        "sensor size (from the header, where the format has one), duration, event rate, extent, "
        "polarity balance and the skipped non-event records (triggers, IMU samples, overflow "
        "markers). Memory stays constant whatever the file size.",
        **with_examples("evlearn info recording.raw",
                        "evlearn info recording.aedat4 --json    keys: format, events, sensor, duration_us, rate_hz, ...",
                        "evlearn info evlearn/samples/0/00002.bin",
                        "evlearn info odd_name.dat --format evt2"),
    )
    parser.add_argument("file", help="event file; the format comes from its header or extension")
    parser.add_argument("--format", default=None, help=f"force the format: {FORMATS_HELP}")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar (events/s, on stderr)")
    parser.set_defaults(func=run)


def events_bar(progress: bool, desc: str):
    """A tqdm bar counting events (events/s) on stderr; shown only on a terminal."""
    from evlearn.progress import progress_bar

    return progress_bar(None, progress, desc=desc, unit="ev", unit_scale=True, disable=None)


def run(args) -> int:
    from evlearn.formats.summary import summarise_file

    with events_bar(not args.no_progress, "info") as bar:
        info = summarise_file(args.file, format=args.format, progress=bar)
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"{args.file}")
    print(f"  format       {info['format']}")
    print(f"  events       {info['events']}")
    print(f"  duration     {info['duration_us'] / 1e3:.1f} ms")
    print(f"  rate         {info['rate_hz'] / 1e3:.1f} k events/s")
    sensor = info["sensor"]
    print(f"  sensor       {f'{sensor[0]} x {sensor[1]}, {sensor[2]} polarities' if sensor else 'not in the file'}")
    if info["events"]:
        print(f"  x, y range   {info['x_range']}, {info['y_range']}")
        print(f"  polarity     {info['on_fraction']:.1%} ON / {1 - info['on_fraction']:.1%} OFF")
    if info["skipped"]:
        print("  skipped      " + ", ".join(f"{n} {kind}" for kind, n in info["skipped"].items()))
    return 0
