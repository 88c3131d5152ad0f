"""Figures of FEAST learning on N-MNIST Train (800): learned patches and threshold dynamics.

    python benchmarks/feast_figures.py   -> benchmarks/results/feast/{weights,diagnostics}.png + figures.json

One FEAST layer with the defaults (K=64 per polarity, R=4, tau=30 ms, the
paper's eta, delta_i, delta_e) learns online from every Train recording once, in
a seeded order; the weights are drawn as patches (cf. Fig. 5 of Afshar et al.
2020) and the recorded thresholds, unmatched-event fraction and win counts as
curves over the events seen.
"""
from __future__ import annotations

import sys
from pathlib import Path

from feast_accuracy import shared_nmnist  # sibling script: one place finds the shared data

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "feast"


def main() -> int:
    from evlearn.feast import FEAST
    from evlearn.feast.data import load_folder
    from evlearn.feast.plots import diagnostics, plot_diagnostics, plot_weights
    from evlearn.io import run_record, write_json

    data = shared_nmnist()
    streams, _ = load_folder(data / "Train")
    layer = FEAST(seed=0).fit(streams)
    plot_weights(layer, OUT / "weights.png")
    plot_diagnostics(layer, OUT / "diagnostics.png")
    d = diagnostics(layer)
    params = layer.get_params()
    params["sensor_size"] = list(params["sensor_size"])
    write_json(OUT / "figures.json", run_record(params, 0, data=data / "Train", n_events=d["n_events"],
                                                missed_fraction=d["missed_fraction"],
                                                unused_neurons=d["unused_neurons"],
                                                final_thresholds=layer.thresholds_))
    print(f"{d['n_events']} events, {d['missed_fraction']:.2%} unmatched, {d['unused_neurons']} unused neurons; "
          f"wrote {OUT / 'weights.png'} and {OUT / 'diagnostics.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
