"""`evlearn dendrites figures` on Dask: the Monte Carlo points and Brian2 runs equal a serial run's."""
from __future__ import annotations

from dataclasses import replace

import pytest

from evlearn.dendrites.figures import FiguresConfig, SimulationRuns, brian_configs, figure_noise, make_all_figures
from evlearn.parallel import Executor


@pytest.mark.slow
def test_monte_carlo_figures_on_two_workers_equal_serial(tmp_path, local_executor):
    cfg = replace(FiguresConfig.quick_config(seed=4), brian=False)
    serial = make_all_figures(tmp_path / "serial", cfg)
    parallel = make_all_figures(tmp_path / "dask", cfg, executor=local_executor)
    for name in ("effect_of_n", "effect_of_s_theta", "noise", "union"):
        assert (tmp_path / "dask" / f"{name}.csv").read_bytes() == (tmp_path / "serial" / f"{name}.csv").read_bytes()
    assert parallel["montecarlo"] == serial["montecarlo"]


@pytest.mark.slow
def test_brian_run_on_a_worker_equals_serial(local_executor):
    from evlearn.dendrites.experiments import run_pattern_detection

    (config,) = brian_configs(FiguresConfig.quick_config(seed=5))
    (remote,) = local_executor.map(run_pattern_detection, [config], preimport=("brian2",))
    assert remote.rows() == run_pattern_detection(config).rows()


def test_planned_simulations_replay_the_serial_points():
    cfg = FiguresConfig.quick_config(seed=2)
    _, serial_rows = figure_noise(cfg)
    runs = SimulationRuns()
    figure_noise(cfg, runs=runs)
    assert len(runs.calls) == sum(r["source"] == "monte_carlo" for r in serial_rows) > 0
    runs.run(Executor())
    _, replayed = figure_noise(cfg, runs=runs)
    assert replayed == serial_rows
