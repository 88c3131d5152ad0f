"""Time surfaces of an N-MNIST recording: global snapshots and per-event local patches
===================================================================================

Global surfaces (tonic's ToTimesurface definition) show where and how recently
the sensor saw events at the end of each time slice; local surfaces are the
(2R+1)x(2R+1) patches around every event that HOTS (Lagorce et al. 2017, IEEE
TPAMI) and FEAST (Afshar et al. 2020, Sensors) learn features from. Saves a
picture of both and the arrays as ``.npz``.

Usage::

    python examples/time_surfaces.py [INPUT.bin] [--output-dir OUT] [--dt-us 50000] [--tau-us 20000]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evlearn import transforms as T
from evlearn.datasets.nmnist import read_nmnist
from evlearn.datasets.samples import sample_dir
from evlearn.events import NMNIST_SENSOR
from evlearn.io import save_figure, save_npz

DEFAULT_INPUT = sample_dir() / "3" / "00008.bin"  # shipped with evlearn: runs from a fresh clone


def plot(global_surfaces, local_surfaces, dt_us, path):
    from matplotlib.figure import Figure  # no pyplot: nothing global changes

    n = len(global_surfaces)
    fig = Figure(figsize=(1.6 * (n + 1), 2.0))
    axes = fig.subplots(1, n + 1)
    for k, ax in enumerate(axes[:n]):
        ax.imshow(global_surfaces[k].max(axis=0), cmap="viridis", vmin=0, vmax=1)  # newest of both polarities
        ax.set_title(f"{(k + 1) * dt_us / 1000:.0f} ms", fontsize=8)
        ax.axis("off")
    axes[n].imshow(local_surfaces.mean(axis=(0, 1)), cmap="viridis", vmin=0, vmax=1)
    axes[n].set_title("mean local", fontsize=8)
    axes[n].axis("off")
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Time surfaces of an N-MNIST recording: global snapshots and per-event local patches")
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT, help="N-MNIST .bin file")
    parser.add_argument("--output-dir", type=Path, default=Path("time_surfaces_output"))
    parser.add_argument("--dt-us", type=int, default=50_000)
    parser.add_argument("--tau-us", type=float, default=20_000.0)
    parser.add_argument("--radius", type=int, default=3)
    args = parser.parse_args(argv)

    events = read_nmnist(args.input)
    global_surfaces = T.ToTimesurface(NMNIST_SENSOR, dt_us=args.dt_us, tau_us=args.tau_us)(events)
    local = T.ToLocalTimeSurfaces(NMNIST_SENSOR, args.radius, args.tau_us, merge_polarities=True, dtype=np.float32)
    local_surfaces = local(events)

    stem = args.output_dir / f"{args.input.stem}_time_surfaces"
    save_npz(stem.with_suffix(".npz"), global_surfaces=global_surfaces, local_surfaces=local_surfaces)
    plot(global_surfaces, local_surfaces, args.dt_us, stem.with_suffix(".png"))
    print(f"{args.input}: {len(events)} events -> global {global_surfaces.shape}, local {local_surfaces.shape}; "
          f"wrote {stem}.npz and {stem}.png")
    return 0


if __name__ == "__main__":
    main()
