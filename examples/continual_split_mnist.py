"""Class-incremental Split-MNIST: forgetting and replay
=====================================================

Five tasks of two MNIST digits each, learned one after the other by a small
MLP (the class-incremental protocol of van de Ven & Tolias 2019). Fine-tuning
alone ("naive") forgets every earlier task; experience replay (Chaudhry et al.
2019) keeps 200 past samples and rehearses them. The runner
(:func:`evlearn.continual.runner.run_benchmark`, the same code as
``evlearn bench run``) records the accuracy matrix R[i, j] (accuracy on task j
after training task i) and writes the report and its pictures. One seed, one
epoch, minibatches of 128 and the small shared MNIST subset keep this under
30 s; the committed 3-seed results are in ``benchmarks/results/split_mnist``.

Usage::

    python examples/continual_split_mnist.py [--output-dir OUT] [--data-root MNIST_DIR]
"""
import argparse
import sys
from pathlib import Path

from evlearn.continual.report import write_report
from evlearn.continual.runner import run_benchmark

# the clone's ../shared/data (sys.argv[0] is this script, also when sphinx-gallery runs it)
MNIST_SMALL = Path(sys.argv[0]).resolve().parents[2] / "shared/data/mnist-small"

parser = argparse.ArgumentParser(description="Class-incremental Split-MNIST: forgetting and replay")
parser.add_argument("--output-dir", type=Path, default=Path("continual_split_mnist_output"))
parser.add_argument("--data-root", type=Path, default=MNIST_SMALL,
                    help="folder of MNIST IDX files (default: the clone's ../shared/data/mnist-small)")
args = parser.parse_args()
if not args.data_root.is_dir():
    parser.error(f"no MNIST folder at {args.data_root}: pass --data-root, a folder of the MNIST IDX files")

# %%
# The experiment, as a config (the same keys as a TOML file for ``evlearn bench run``).
config = {
    "name": "split_mnist_example",
    "seeds": [0],
    "strategies": ["naive", "er"],
    "memory_size": 200,
    "data": {"name": "mnist", "root": str(args.data_root)},
    "scenario": {"kind": "class", "n_tasks": 5},
    "backbone": {"name": "mlp", "options": {"hidden": [100]}},
    "train": {"n_epochs": 1, "batch_size": 128, "lr": 0.002, "device": "cpu"},
}
results = run_benchmark(config, args.output_dir)

# %%
# Average accuracy over the five tasks after the last one, and the report:
# accuracy after each task, then the mean accuracy matrix of each strategy.
for label, metrics in zip(("naive", "er"), results):
    print(f"{label:6s} average accuracy {metrics['average_accuracy']:.3f}, "
          f"forgetting {metrics['average_forgetting']:.3f}")
summary = write_report(args.output_dir)
