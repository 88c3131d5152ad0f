"""``evlearn hebbian``: multitasking Hebbian networks (Agliari et al. 2023).

  evlearn hebbian figures --out DIR [--quick] [--seed S] [--only NAME] [--convention C]
  evlearn hebbian run --config FILE [--out DIR]            one network from a TOML/YAML NetworkConfig
"""
from __future__ import annotations

import sys
from pathlib import Path

# names of evlearn.hebbian.figures.PARTS and couplings.CONVENTIONS, kept here so that building the
# parser imports no numba (a test checks they stay equal)
PARTS = ("hierarchical", "parallel", "regimes", "phase", "learning", "cost", "snr")
CONVENTIONS = ("hebb", "mean-field")
DEFAULT_CONVENTION = "hebb"

EXAMPLES = (
    "evlearn hebbian figures --out results/hebbian                     # every claim figure",
    "evlearn hebbian figures --out /tmp/h --only regimes                # regimes.csv: K=2,3,4, T=0.05,0.1,0.2",
    "evlearn hebbian figures --out /tmp/h --only parallel --convention mean-field",
    "evlearn hebbian figures --out /tmp/h --quick --scheduler local --workers 2",
    "evlearn hebbian run --config benchmarks/script_configs/hebbian_supervised.toml --out /tmp/run",
)
CONVENTION_NOTE = ("Temperatures are in the units of the coupling convention: 'hebb' (default, plain Hebbian sum) or "
                   "'mean-field' (couplings times 1/(1-d); T_mean-field = T_hebb / (1-d)).")


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "hebbian",
        help="multitasking Hebbian networks: parallel retrieval from diluted patterns",
        description="Multitasking Hebbian network learnt from noisy examples (Agliari, Alessandrelli, Barra, "
        "Ricci-Tersenghi, J. Stat. Mech. 2023): theory + numba Glauber simulation + Brian2. " + CONVENTION_NOTE,
        **with_examples(*EXAMPLES),
    )
    sub = parser.add_subparsers(dest="hebbian_command", metavar="ACTION")
    figures = sub.add_parser("figures", help="regenerate the claim figures (PNG + CSV + summary.json)",
                             description="Regenerate one figure + CSV per claim of the paper's abstract (hierarchy, "
                             "parallel regime and regimes grid, learning from examples, cost and loss, "
                             "signal-to-noise), theory and Monte Carlo. " + CONVENTION_NOTE,
                             **with_examples(*EXAMPLES[:4]))
    figures.add_argument("--out", required=True, help="output folder")
    figures.add_argument("--quick", action="store_true", help="tiny sizes (seconds; for tests)")
    figures.add_argument("--seed", type=int, default=0, help="run seed; every task's seed derives from it (default 0)")
    figures.add_argument("--only", action="append", metavar="NAME",
                         help=f"run only this part (repeatable): {', '.join(PARTS)}")
    figures.add_argument("--convention", choices=CONVENTIONS, default=DEFAULT_CONVENTION,
                         help=f"coupling normalisation (default {DEFAULT_CONVENTION}; see docs/hebbian.md)")
    figures.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    _add_execution_options(figures)
    figures.set_defaults(func=run_figures)
    run = sub.add_parser("run", help="simulate one network described by a TOML/YAML config",
                         description="Simulate one network whose NetworkConfig fields are read from a TOML or "
                         "YAML file; prints the magnetisations (simulation and theory). A Brian2 network that "
                         "would not fit in memory is refused before it is built.",
                         **with_examples(EXAMPLES[-1], "evlearn hebbian run --config network.yaml --out results/one"))
    run.add_argument("--config", required=True, help="TOML or YAML file with NetworkConfig fields")
    run.add_argument("--out", default=None, help="folder for result.json and trace.csv (default: print only)")
    run.set_defaults(func=run_one)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _add_execution_options(parser):
    """--scheduler/--workers where the shared execution helper exists (evlearn.cli.execution)."""
    import importlib.util

    if importlib.util.find_spec("evlearn.cli.execution") is not None:
        from evlearn.cli.execution import add_execution_options

        add_execution_options(parser)


def _executor(args):
    import contextlib

    if getattr(args, "scheduler", None) is None:
        return contextlib.nullcontext(None)
    from evlearn.cli.execution import open_executor

    return open_executor(args, "hebbian figures")


def run_figures(args) -> int:
    from evlearn.hebbian.figures import FiguresConfig, make_figures

    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    config = FiguresConfig.quick_config() if args.quick else FiguresConfig()
    config = config.with_convention(args.convention)
    with _executor(args) as executor:
        summary = make_figures(args.out, config=config, seed=args.seed, progress=not args.no_progress,
                               only=args.only, executor=executor)
    print(f"wrote {', '.join(summary['files'])} (PNG and/or CSV) and {summary['record']} to {args.out} "
          f"({args.convention} convention)")
    return 0


def run_one(args) -> int:
    import numpy as np

    from evlearn.config import load_config
    from evlearn.hebbian.config import NetworkConfig
    from evlearn.hebbian.experiments import run_network
    from evlearn.io import run_record, write_csv, write_json

    config = load_config(NetworkConfig, args.config)
    result = run_network(config, progress=sys.stderr.isatty())
    trace = result.pop("m_trace")
    record = run_record(config, config.seed, **result)
    print(f"rho={result['rho']:.4g}  m(simulation)={np.round(result['m_simulation_ordered'], 4).tolist()}  "
          f"m(theory)={np.round(result['m_theory'], 4).tolist()}  regime(theory)={result['regime_theory']}")
    if args.out:
        out = Path(args.out)
        write_json(out / "result.json", record)
        write_csv(out / "trace.csv", [{"sweep": t, **{f"m{k + 1}": float(v) for k, v in enumerate(row)}}
                                      for t, row in enumerate(trace)])
        print(f"wrote {out / 'result.json'} and {out / 'trace.csv'}")
    return 0
