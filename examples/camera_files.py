"""Camera files: write, inspect and stream a Prophesee EVT 3.0 recording
=====================================================================

Event cameras write their own file formats (Prophesee EVT 2.0/3.0 ``.raw`` and
DAT, iniVation AEDAT 4.0); :func:`evlearn.read_events` and
:func:`evlearn.stream_events` read them all into the same event arrays, and
:func:`evlearn.write_events` writes them. This example makes a small camera file
from an N-MNIST recording shipped with evlearn (so it runs from a fresh clone;
pass your own recording instead), prints what ``evlearn info`` reports about it,
and computes time surfaces while streaming it in 50 ms chunks, so memory does not
grow with the file. Format details: docs/formats.md.

Usage::

    python examples/camera_files.py [RECORDING] [--output-dir OUT] [--window-us 50000] [--tau-us 20000]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import evlearn
from evlearn.datasets.samples import sample_dir
from evlearn.formats.summary import summarise_file
from evlearn.io import save_figure
from evlearn.streaming import GlobalTimeSurfaceStream

SAMPLE = sample_dir() / "7" / "00016.bin"  # shipped with evlearn


def make_camera_file(path: Path) -> Path:
    """An EVT 3.0 file holding the shipped N-MNIST sample (34 x 34 pixels, 2 polarities)."""
    events = evlearn.read_events(SAMPLE)
    return evlearn.write_events(path, events, format="evt3", sensor_size=(34, 34, 2))


def plot(surfaces, counts, window_us, path):
    from matplotlib.figure import Figure  # no pyplot: nothing global changes

    n = len(surfaces)
    fig = Figure(figsize=(1.7 * n, 3.6))
    grid = fig.add_gridspec(2, n, height_ratios=(1, 0.8))
    for k in range(n):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(surfaces[k].max(axis=0), cmap="viridis", vmin=0, vmax=1)  # newest of both polarities
        ax.set_title(f"{(k + 1) * window_us / 1000:.0f} ms", fontsize=8)
        ax.axis("off")
    bars = fig.add_subplot(grid[1, :])
    bars.bar(np.arange(len(counts)) * window_us / 1000, counts, width=0.8 * window_us / 1000, align="edge")
    bars.set_xlabel("time since the first event (ms)")
    bars.set_ylabel("events per chunk")
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Camera files: write, inspect and stream a Prophesee EVT 3.0 recording")
    parser.add_argument("recording", nargs="?", type=Path, default=None,
                        help="any event file evlearn reads (default: an EVT 3.0 file made from a shipped sample)")
    parser.add_argument("--output-dir", type=Path, default=Path("camera_files_output"))
    parser.add_argument("--window-us", type=int, default=50_000, help="chunk length and time-surface slice, in µs")
    parser.add_argument("--tau-us", type=float, default=20_000.0, help="time-surface decay, in µs")
    args = parser.parse_args(argv)
    recording = args.recording or make_camera_file(args.output_dir / "digit_evt3.raw")

    info = summarise_file(recording)
    print(f"{recording.name}: {info['format']}, sensor {info['sensor']}, {info['events']} events over "
          f"{info['duration_us'] / 1e3:.1f} ms ({info['rate_hz'] / 1e3:.1f} k events/s), "
          f"{100 * info['on_fraction']:.0f}% ON")

    stream = evlearn.stream_events(recording, duration_us=args.window_us)
    surfaces = GlobalTimeSurfaceStream(stream.sensor_size or info["sensor"], dt_us=args.window_us, tau_us=args.tau_us)
    counts, parts = [], []
    for chunk in stream:  # one window at a time: memory stays bounded however long the file
        counts.append(chunk.size)
        parts.append(surfaces(chunk))
    parts.append(surfaces.finish())
    slices = np.concatenate(parts)
    print(f"{len(counts)} chunks of {args.window_us / 1e3:.0f} ms; {len(slices)} time surfaces "
          f"of shape {slices.shape[1:]}")

    out_png = args.output_dir / f"{recording.stem}_time_surfaces.png"
    plot(slices, counts, args.window_us, out_png)
    print(f"wrote {out_png}")
    return 0


if __name__ == "__main__":
    main()
