"""``evlearn hebbian``: multitasking Hebbian networks (Agliari et al. 2023).

  evlearn hebbian figures --out DIR [--quick] [--seed S] [--only NAME]   regenerate the figures (PNG + CSV + JSON)
  evlearn hebbian run --config FILE [--out DIR]            one network from a TOML/YAML NetworkConfig
"""
from __future__ import annotations

import sys
from pathlib import Path


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "hebbian",
        help="multitasking Hebbian networks: parallel retrieval from diluted patterns",
        description="Multitasking Hebbian network learnt from noisy examples (Agliari, Alessandrelli, Barra, "
        "Ricci-Tersenghi, J. Stat. Mech. 2023): theory + numba Glauber simulation + Brian2.",
        **with_examples("evlearn hebbian figures --out results/hebbian",
                        "evlearn hebbian figures --out /tmp/hebbian --quick --only dilution",
                        "evlearn hebbian run --config network.toml --out results/one"),
    )
    sub = parser.add_subparsers(dest="hebbian_command", metavar="ACTION")
    figures = sub.add_parser("figures", help="regenerate the figures (PNG + CSV + summary.json)",
                             description="Regenerate the paper's figures: retrieval vs dilution and temperature, "
                             "the theory phase diagram and learning from examples (PNG + CSV + summary.json).",
                             **with_examples("evlearn hebbian figures --out results/hebbian",
                                             "evlearn hebbian figures --out /tmp/hebbian --quick --only dilution"))
    figures.add_argument("--out", required=True, help="output folder")
    figures.add_argument("--quick", action="store_true", help="tiny sizes (seconds; for tests)")
    figures.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    figures.add_argument("--only", action="append", metavar="NAME",
                         help="run only this figure (repeatable): dilution, temperature, phase, learning")
    figures.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    figures.set_defaults(func=run_figures)
    run = sub.add_parser("run", help="simulate one network described by a TOML/YAML config",
                         description="Simulate one network whose NetworkConfig fields are read from a TOML or "
                         "YAML file; prints the magnetisations (simulation and theory).",
                         **with_examples("evlearn hebbian run --config network.toml",
                                         "evlearn hebbian run --config network.yaml --out results/one"))
    run.add_argument("--config", required=True, help="TOML or YAML file with NetworkConfig fields")
    run.add_argument("--out", default=None, help="folder for result.json and trace.csv (default: print only)")
    run.set_defaults(func=run_one)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run_figures(args) -> int:
    from evlearn.hebbian.figures import FiguresConfig, make_figures

    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    config = FiguresConfig.quick_config() if args.quick else FiguresConfig()
    summary = make_figures(args.out, config=config, seed=args.seed, progress=not args.no_progress, only=args.only)
    pngs = [f + ".png" for f in summary["files"] if f != "rho_collapse"]
    print(f"wrote {', '.join(pngs)}, their CSVs and {summary['record']} to {args.out}")
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
