"""The ``Examples`` sections of the API reference run, and the main entry points have one."""
import doctest
import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from api_inventory import public_modules  # noqa: E402

# The entry points a user meets first (issue 18): each shows a runnable example.
ENTRY_POINTS = [
    "evlearn.formats.read_events", "evlearn.formats.stream_events", "evlearn.formats.write_events",
    "evlearn.transforms.Compose", "evlearn.transforms.TimeWindow",
    "evlearn.transforms.CenterCrop", "evlearn.transforms.Downsample", "evlearn.transforms.Denoise",
    "evlearn.transforms.RefractoryPeriod", "evlearn.transforms.ToCountFrame",
    "evlearn.transforms.ToLocalTimeSurfaces", "evlearn.transforms.ToTimesurface",
    "evlearn.functional.frames.count_frame", "evlearn.functional.denoise.denoise",
    "evlearn.functional.refractory.refractory_period", "evlearn.functional.slicing.slice_by_time",
    "evlearn.functional.slicing.time_window", "evlearn.functional.spatial.crop",
    "evlearn.functional.spatial.downsample", "evlearn.functional.local_time_surface.local_time_surfaces",
    "evlearn.functional.global_time_surface.global_time_surfaces",
    "evlearn.feast.layer.FEAST", "evlearn.feast.readout.FEASTClassifier", "evlearn.feast.bulk.extract_files",
    "evlearn.parallel.Executor", "evlearn.parallel.run_tasks", "evlearn.parallel.partitions",
    "evlearn.parallel.guided_sizes", "evlearn.parallel.task_seeds",
    "evlearn.dendrites.theory.false_match_probability", "evlearn.dendrites.theory.noise_match_probability",
    "evlearn.dendrites.theory.noise_false_negative_probability",
    "evlearn.dendrites.theory.neuron_false_match_probability", "evlearn.dendrites.theory.neuron_detection_probability",
    "evlearn.dendrites.theory.union_false_match_probability", "evlearn.dendrites.theory.choose_threshold",
    "evlearn.dendrites.theory.choose_segment",
    "evlearn.hebbian.couplings.LowRankCouplings", "evlearn.hebbian.couplings.hebbian_couplings",
    "evlearn.hebbian.glauber.simulate", "evlearn.hebbian.brian.simulate_brian2",
    "evlearn.continual.runner.read_bench_config", "evlearn.continual.runner.run_benchmark",
    "evlearn.continual.strategies.base.Strategy", "evlearn.continual.strategies.base.make_strategy",
    "evlearn.continual.strategies.naive.Naive", "evlearn.continual.strategies.joint.Joint",
    "evlearn.continual.strategies.er.ExperienceReplay", "evlearn.continual.strategies.der.DER",
    "evlearn.continual.strategies.der.DERpp", "evlearn.continual.strategies.er_ace.ERACE",
    "evlearn.continual.strategies.agem.AGEM", "evlearn.continual.strategies.ewc.EWC",
    "evlearn.continual.strategies.lwf.LwF", "evlearn.continual.strategies.si.SI",
    "evlearn.continual.strategies.icarl.ICaRL", "evlearn.continual.strategies.gdumb.GDumb",
]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _entry(full_name):
    module_name, _, name = full_name.rpartition(".")
    try:
        return importlib.import_module(full_name)
    except ImportError:
        return getattr(importlib.import_module(module_name), name)


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_entry_point_has_an_example(name):
    doc = _entry(name).__doc__ or ""
    assert "Examples\n" in doc and ">>>" in doc.split("Examples\n", 1)[1], f"{name}: add an Examples section"


@pytest.mark.parametrize("module_name", public_modules())
def test_examples_run(module_name, tmp_path, monkeypatch):
    """Every ``>>>`` line in a public module's docstrings gives the output it shows (run in a fresh folder)."""
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module_name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in doctest.DocTestFinder().find(module, module_name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
