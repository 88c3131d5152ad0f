"""Event-count frames of several N-MNIST recordings, one per time window
=====================================================================

N-MNIST records each digit during three saccades of ~100 ms; slicing the
recordings into windows of that length shows one frame per saccade. Writes a
picture (one row per recording) and a CSV with the events per window.

Usage::

    python examples/frames_per_window.py [INPUT.bin ...] [--output-dir OUT] [--window-us 100000]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR
from evlearn.functional import count_frame, slice_by_time
from evlearn.io import save_figure, write_csv

def default_inputs() -> list[Path]:
    """The first shipped recording of each of the first four digits (runs from a fresh clone)."""
    from evlearn.datasets.samples import sample_dir

    return [sorted((sample_dir() / str(digit)).glob("*.bin"))[0] for digit in range(4)]


def plot(frames_per_file, names, path):
    from matplotlib.figure import Figure  # no pyplot: nothing global changes

    n_cols = max(len(frames) for frames in frames_per_file)
    fig = Figure(figsize=(1.6 * n_cols, 1.6 * len(names)))
    axes = fig.subplots(len(names), n_cols, squeeze=False)
    for row, (frames, name) in enumerate(zip(frames_per_file, names)):
        for col, ax in enumerate(axes[row]):
            ax.axis("off")
            if col < len(frames):
                ax.imshow(frames[col][1].astype(float) - frames[col][0], cmap="RdBu_r", vmin=-3, vmax=3)  # ON - OFF
                ax.set_title(f"{name} #{col}", fontsize=7)
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Event-count frames of several N-MNIST recordings, one per time window")
    parser.add_argument("inputs", nargs="*", type=Path, help="N-MNIST .bin files (default: four shipped samples)")
    parser.add_argument("--output-dir", type=Path, default=Path("frames_per_window_output"))
    parser.add_argument("--window-us", type=int, default=100_000)
    args = parser.parse_args(argv)
    inputs = args.inputs or default_inputs()

    rows, frames_per_file, names = [], [], []
    for path in inputs:
        windows = slice_by_time(read_nmnist(path), args.window_us, include_incomplete=True)
        frames_per_file.append([count_frame(window, NMNIST_SENSOR) for window in windows])
        names.append(f"{path.parent.name}/{path.stem}")
        rows += [{"file": str(path), "window": k, "events": len(window),
                  "first_us": int(window["t"][0]) if len(window) else "", "last_us": int(window["t"][-1]) if len(window) else ""}
                 for k, window in enumerate(windows)]
    csv_path = write_csv(args.output_dir / "windows.csv", rows)
    png_path = args.output_dir / "frames.png"
    plot(frames_per_file, names, png_path)
    print(f"{len(inputs)} recordings -> {len(rows)} windows of {args.window_us} us; wrote {csv_path} and {png_path}")
    return 0


if __name__ == "__main__":
    main()
