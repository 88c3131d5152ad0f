import json

import matplotlib
import numpy as np

from evlearn.cli.demo import frames_figure
from evlearn.cli.main import main
from evlearn.datasets.samples import load_samples


def test_demo_runs_full_feast_pipeline(tmp_path, capsys):
    out = tmp_path / "demo"
    backend = matplotlib.get_backend()
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    assert matplotlib.get_backend() == backend, "library code must not switch the global matplotlib backend"
    text = capsys.readouterr().out
    assert "FEAST winner histograms" in text and "baseline" in text
    assert "of 128 never won; K=64 neurons x 2 population(s)" in text  # why 128 output channels when K=64
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["baseline"]["accuracy"] <= 1.0
    # the learned features must beat chance (0.1) clearly on the shipped samples
    assert summary["feast"]["accuracy"] > 0.5
    assert summary["seed"] == 0 and "versions" in summary and summary["config"]["feast"]["n_neurons"] == 64
    for name in ("samples.png", "feast_weights.png", "feast_diagnostics.png"):
        assert (out / name).stat().st_size > 1000


def test_demo_bad_data_folder_is_one_line_error(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and "\n" not in err


def test_sample_frames_share_a_colour_scale_centred_on_zero_with_a_colour_bar():
    streams, labels = load_samples()
    fig = frames_figure(streams, labels)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 10 and len(fig.axes) == 11  # one panel per digit + the colour bar
    limits = {ax.images[0].get_clim() for ax in panels}
    assert len(limits) == 1 and np.isclose(sum(limits.pop()), 0.0)
