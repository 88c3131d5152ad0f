"""``evlearn convert IN OUT``: rewrite an event file in another format, streaming."""
from __future__ import annotations

from evlearn.cli.info import FORMATS_HELP, events_bar


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "convert",
        help="convert an event file to another format (streaming, atomic)",
        description="Read IN chunk by chunk and write OUT in the format of its extension (.raw is "
        "written as EVT 2.0) or --format. Memory stays constant whatever the file size; OUT "
        "appears only when the whole file was converted. Camera formats record a sensor size: "
        "IN's header gives it, or --sensor-size, or else a first pass over IN measures the events' extent.",
        **with_examples("evlearn convert recording.aedat4 recording.raw --zero-time   AEDAT 4.0 -> EVT 2.0",
                        "evlearn convert recording.raw events.npy",
                        "evlearn convert sample.bin sample.raw --format evt3 --sensor-size 34,34,2"),
    )
    parser.add_argument("source", metavar="IN", help="event file to read (format from its header or extension)")
    parser.add_argument("target", metavar="OUT", help="file to write")
    parser.add_argument("--format", default=None, help=f"format of OUT: {FORMATS_HELP} (default: from its extension)")
    parser.add_argument("--in-format", default=None, help="force the format of IN")
    parser.add_argument("--sensor-size", default=None, metavar="W,H,P", help="sensor size to record in OUT")
    parser.add_argument("--zero-time", action="store_true",
                        help="subtract the first event's time from every timestamp (e.g. AEDAT 4.0, whose "
                        "times count from 1970, to EVT 2.0)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar (events/s, on stderr)")
    parser.set_defaults(func=run)


def _sensor(text):
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--sensor-size must be W,H,P (three integers), got {text!r}") from None
    return values


def run(args) -> int:
    from pathlib import Path

    from evlearn.formats import convert_file

    if Path(args.source).resolve() == Path(args.target).resolve():
        raise ValueError(f"{args.target}: OUT must differ from IN")
    sensor = _sensor(args.sensor_size) if args.sensor_size else None
    with events_bar(not args.no_progress, "convert") as bar:
        n, fmt = convert_file(args.source, args.target, format=args.format, source_format=args.in_format,
                              sensor_size=sensor, zero_time=args.zero_time, progress=bar)
    print(f"wrote {n} events to {args.target} ({fmt})")
    return 0
