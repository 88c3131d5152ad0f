"""Clean an N-MNIST recording and save it as a new, smaller recording
==================================================================

Reads a ``.bin`` file, drops bursts (per-pixel refractory period) and isolated
noise events (background-activity filter, tonic's Denoise rule), crops the
centre 28x28 pixels (the MNIST digit area of the 34x34 sensor), writes the
result as a new N-MNIST file, and saves a picture of the event counts before
and after. Data: Orchard et al. 2015, "Converting Static Image Datasets to
Spiking Neuromorphic Datasets Using Saccades" (Front. Neurosci.).

Usage::

    python examples/clean_recording.py [INPUT.bin] [--output-dir OUT]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from evlearn import transforms as T
from evlearn.datasets.nmnist import read_nmnist, write_nmnist
from evlearn.datasets.samples import sample_dir
from evlearn.events import NMNIST_SENSOR
from evlearn.io import save_figure

DEFAULT_INPUT = sample_dir() / "0" / "00002.bin"  # shipped with evlearn: runs from a fresh clone


def plot_counts(before, after, path):
    from matplotlib.figure import Figure  # no pyplot: nothing global changes

    fig = Figure(figsize=(6, 3))
    axes = fig.subplots(1, 2)
    for ax, frame, title in zip(axes, (before, after), ("recording", "cleaned and cropped")):
        image = ax.imshow(frame.sum(axis=0), cmap="magma")  # both polarities
        ax.set_title(f"{title}: {int(frame.sum())} events", fontsize=9)
        ax.axis("off")
        fig.colorbar(image, ax=ax, shrink=0.7)
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Clean an N-MNIST recording and save it as a new, smaller recording")
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT, help="N-MNIST .bin file")
    parser.add_argument("--output-dir", type=Path, default=Path("clean_recording_output"))
    parser.add_argument("--refractory-us", type=float, default=1_000.0)
    parser.add_argument("--filter-us", type=float, default=5_000.0, help="Denoise filter_time_us")
    args = parser.parse_args(argv)

    sensor = NMNIST_SENSOR
    crop = T.CenterCrop(sensor, size=(28, 28))
    clean = T.Compose([T.RefractoryPeriod(args.refractory_us), T.Denoise(args.filter_us), crop])

    events = read_nmnist(args.input)
    cleaned = clean(events)
    out_bin = write_nmnist(args.output_dir / f"{args.input.stem}_clean.bin", cleaned, sensor_size=crop.output_sensor_size)
    reread = read_nmnist(out_bin, sensor_size=crop.output_sensor_size)  # the new file reads back
    out_png = args.output_dir / f"{args.input.stem}_clean.png"
    plot_counts(T.ToCountFrame(sensor)(events), T.ToCountFrame(crop.output_sensor_size)(cleaned), out_png)
    print(f"{args.input}: kept {len(cleaned)} of {len(events)} events; wrote {out_bin} "
          f"({len(reread)} events, {crop.output_sensor_size[0]}x{crop.output_sensor_size[1]}) and {out_png}")
    return 0


if __name__ == "__main__":
    main()
