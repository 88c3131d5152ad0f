"""G2GNet speed: training-step time of the masked layer vs dense at the same width, sparse kernels, counts.

Measured in one process, one thread (``torch.set_num_threads(1)``), as ratios
to the dense network timed in the same run, in alternating rounds (the machine
is shared), median of repeats:

1. Whole MLP (784 -> W -> W -> 10), one training step (forward, backward,
   Adam or SGD-momentum step) for the dense net and the G2G net at 75 %
   sparsity (masked dense matmul), plus the cost of one DST rewiring.
   Also sqrt over zeros vs positives: Adam's sqrt of the (exactly zero)
   second moments of pruned weights is slow on some CPUs.
2. One W x W layer, forward + backward: dense, masked, and torch.sparse
   (CSR and COO weights rebuilt from a value vector with gradients).
3. One W x W layer, inference (no autograd): dense, masked, CSR
   (``MaskedLinear.sparse_inference``) at 75 % and 95 % sparsity.

Also records active parameters and multiply-accumulates per sample.

Usage::

    python benchmarks/g2g_speed.py --out benchmarks/results/g2g
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timeit(fn, repeats: int, inner: int) -> float:
    """Median seconds per call over ``repeats`` groups of ``inner`` calls (after one warm-up group)."""
    return interleaved({"f": fn}, repeats, inner)["f"]


def interleaved(fns: dict, repeats: int, inner: int) -> dict:
    """Median seconds per call of each function, timed in alternating rounds.

    The machine is shared: alternating the candidates in every round exposes
    them to the same background load, so their ratio is fairer than timing
    one after the other.
    """
    for fn in fns.values():
        for _ in range(inner):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(t) for name, t in times.items()}


def sqrt_of_zeros(repeats: int, inner: int) -> dict:
    """Adam takes sqrt of its second moments; pruned weights keep them at exactly 0. Time sqrt on 0 vs > 0."""
    import torch

    positive = torch.rand(512, 784, generator=torch.Generator().manual_seed(2)) + 1e-3
    zeros = torch.zeros(512, 784)
    times = interleaved({"positive": positive.sqrt, "zeros": zeros.sqrt}, repeats, inner)
    return {"shape": [512, 784], "positive_us": 1e6 * times["positive"], "zeros_us": 1e6 * times["zeros"],
            "zeros_over_positive": times["zeros"] / times["positive"]}


def mlp_step(width: int, batch: int, repeats: int, inner: int, optimizer: str = "adam") -> dict:
    import torch

    from evlearn.continual.g2g_dst import DSTConfig, DynamicSparseTraining
    from evlearn.continual.g2g_layers import G2GNet, count_parameters

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 784, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    out = {"width": width, "batch": batch, "optimizer": optimizer}
    steps, models = {}, {}
    for name, kwargs in (("dense", dict(wiring="dense")), ("g2g", dict(sparsity=0.75, grouping="mixer"))):
        torch.manual_seed(0)
        model = G2GNet(784, 10, (width, width), **kwargs)
        if optimizer == "adam":
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        else:
            opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

        def step(model=model, opt=opt):
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        steps[name], models[name] = step, (model, opt)
        out[f"{name}_counts"] = count_parameters(model)
    for name, seconds in interleaved(steps, repeats, inner).items():
        out[f"{name}_step_ms"] = 1e3 * seconds
    model, opt = models["g2g"]
    dst = DynamicSparseTraining(model, DSTConfig(update_every=1, prune="magnitude", grow="hebbian"), opt)
    steps["g2g"]()
    out["g2g_rewire_ms"] = 1e3 * timeit(dst.rewire, max(3, repeats // 2), 1)
    out["g2g_rewire_every_47_amortised_ms"] = out["g2g_rewire_ms"] / 47
    out["g2g_over_dense_step"] = out["g2g_step_ms"] / out["dense_step_ms"]
    out["active_parameter_ratio"] = (out["g2g_counts"]["active_parameters"]
                                     / out["dense_counts"]["active_parameters"])
    out["active_mac_ratio"] = (out["g2g_counts"]["macs_per_sample_active"]
                               / out["dense_counts"]["macs_per_sample_active"])
    return out


def layer_kernels(width: int, batch: int, density: float, repeats: int, inner: int) -> dict:
    import torch
    from torch.nn import functional as F

    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, width, generator=gen)
    mask = (torch.rand(width, width, generator=gen) < density).float()
    w = (torch.randn(width, width, generator=gen) * mask).requires_grad_()
    w_dense = torch.randn(width, width, generator=gen).requires_grad_()
    out = {"width": width, "batch": batch, "density": float(mask.mean())}

    def dense_train():
        F.linear(x, w_dense).sum().backward()

    def masked_train():
        F.linear(x, w * mask).sum().backward()

    csr = (w.detach()).to_sparse_csr()
    crow, col = csr.crow_indices(), csr.col_indices()
    values = csr.values().clone().requires_grad_()
    coo = w.detach().to_sparse().coalesce()
    coo_idx, coo_values = coo.indices(), coo.values().clone().requires_grad_()

    def csr_train():
        weight = torch.sparse_csr_tensor(crow, col, values, (width, width))
        (weight @ x.T).sum().backward()

    def coo_train():
        weight = torch.sparse_coo_tensor(coo_idx, coo_values, (width, width), is_coalesced=True)
        torch.sparse.mm(weight, x.T).sum().backward()

    with torch.no_grad():
        wd, wm = w_dense.detach(), w.detach()
        infer = interleaved({"dense": lambda: F.linear(x, wd), "masked": lambda: F.linear(x, wm * mask),
                             "csr": lambda: (csr @ x.T).T}, repeats, inner)
    train = interleaved({"dense": dense_train, "masked": masked_train, "csr": csr_train, "coo": coo_train},
                        repeats, inner)
    for name, seconds in infer.items():
        out[f"{name}_infer_ms"] = 1e3 * seconds
    for name, seconds in train.items():
        out[f"{name}_train_ms"] = 1e3 * seconds
    for key in ("masked", "csr", "coo"):
        out[f"{key}_train_over_dense"] = out[f"{key}_train_ms"] / out["dense_train_ms"]
    for key in ("masked", "csr"):
        out[f"{key}_infer_over_dense"] = out[f"{key}_infer_ms"] / out["dense_infer_ms"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "g2g")
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--inner", type=int, default=5)
    args = parser.parse_args(argv)

    import torch

    from evlearn.io import run_record, write_csv, write_json

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message=".*[Ss]parse.*")
    mlp = [mlp_step(w, args.batch, args.repeats, args.inner, opt) for opt in ("adam", "sgd") for w in args.widths]
    sqrt = sqrt_of_zeros(args.repeats, args.inner)
    layers = [layer_kernels(w, args.batch, d, args.repeats, args.inner)
              for w in args.widths for d in (0.25, 0.05)]
    for row in mlp:
        print(f"MLP width {row['width']} {row['optimizer']}: dense {row['dense_step_ms']:.2f} ms, g2g {row['g2g_step_ms']:.2f} ms "
              f"(x{row['g2g_over_dense_step']:.2f}), rewiring {row['g2g_rewire_ms']:.1f} ms, "
              f"active params x{row['active_parameter_ratio']:.3f}", file=sys.stderr)
    for row in layers:
        print(f"layer {row['width']} density {row['density']:.2f}: train masked x{row['masked_train_over_dense']:.2f} "
              f"csr x{row['csr_train_over_dense']:.2f} coo x{row['coo_train_over_dense']:.2f}; "
              f"infer masked x{row['masked_infer_over_dense']:.2f} csr x{row['csr_infer_over_dense']:.2f}",
              file=sys.stderr)
    print(f"sqrt of zeros / sqrt of positives: x{sqrt['zeros_over_positive']:.2f}", file=sys.stderr)
    config = {"widths": args.widths, "batch": args.batch, "repeats": args.repeats, "inner": args.inner,
              "threads": torch.get_num_threads()}
    write_json(args.out / "speed.json", run_record(config, seed=0, mlp=mlp, layers=layers, sqrt_of_zeros=sqrt))
    flat = [{k: v for k, v in row.items() if not isinstance(v, dict)} for row in mlp]
    write_csv(args.out / "speed_mlp.csv", flat)
    write_csv(args.out / "speed_layers.csv", layers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
