"""``evlearn bench``: continual-learning benchmarks (run a config, report a result folder)."""
from __future__ import annotations

import sys

from evlearn.cli.execution import add_execution_options, open_executor

EPILOG = """\
examples:
  evlearn bench run benchmarks/configs/split_mnist.toml --out runs/split_mnist
  evlearn bench run benchmarks/configs/split_mnist.toml --out runs/split_mnist --scheduler local --workers 4
  evlearn bench run CONFIG --out DIR --scheduler tcp://head:8786    on a running Dask cluster
  evlearn bench report runs/split_mnist       report.md, summary.csv/json, PNG plots
Killing `bench run` and starting the same command again resumes after the last finished task.
With --scheduler, each (strategy, seed, sweep point) is one task; results equal a serial run's.
A [sweep] table in CONFIG (e.g. er.memory_size = [100, 200, 500]) expands into runs (docs/continual.md).
"""


def add_parser(subparsers):
    import argparse

    parser = subparsers.add_parser(
        "bench",
        help="continual-learning benchmarks: run a config, report results",
        description="Run continual-learning strategies over seeds as described by a TOML/YAML config "
        "(see docs/continual.md), and report the results as a Markdown table and PNG plots.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    from evlearn.cli.helptext import with_examples

    run_parser = actions.add_parser("run", help="run (or resume) every (strategy, seed) of CONFIG",
                                    description="Run every (strategy, seed) of CONFIG; re-running the same "
                                    "command resumes after the last finished task.",
                                    **with_examples("evlearn bench run benchmarks/configs/split_mnist.toml --out runs/sm",
                                                    "evlearn bench run CONFIG --out runs/x --no-report --threads 1"))
    run_parser.add_argument("config", help="experiment config (.toml, .yaml or .yml)")
    run_parser.add_argument("--out", required=True, help="result folder (one sub-folder per strategy and seed)")
    run_parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    run_parser.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    run_parser.add_argument("--threads", type=int, default=None,
                            help="torch CPU threads of a serial run, 1 to the number of CPUs (default: torch's "
                            "choice; Dask workers use one thread each)")
    add_execution_options(run_parser)
    run_parser.set_defaults(func=run)
    report_parser = actions.add_parser("report", help="write report.md and plots for a result folder",
                                       description="Write report.md, summary.csv/json and PNG plots for a "
                                       "folder written by `evlearn bench run`.",
                                       **with_examples("evlearn bench report runs/split_mnist"))
    report_parser.add_argument("folder", help="a folder written by `evlearn bench run`")
    report_parser.set_defaults(func=report)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run(args) -> int:
    from evlearn.continual.runner import read_bench_config, run_benchmark, validate

    if args.threads is not None:
        import os

        from evlearn.validation import check_number

        check_number(args.threads, "--threads", low=1, high=os.cpu_count() or 1, integer=True)
    config = read_bench_config(args.config)
    try:
        validate(config)   # the whole config, before any folder is made
    except ValueError as err:
        raise ValueError(f"{args.config}: {err}") from None
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)

    def log(message):
        print(message, file=sys.stderr)

    with open_executor(args, "bench run") as executor:
        results = run_benchmark(config, args.out, progress=not args.no_progress, log=log, executor=executor)
    if not args.no_report:
        report(args)
    else:
        for r in results:
            print(f"{r['label']:>16} seed {r['seed']}: average accuracy {r['average_accuracy']:.3f}")
    return 0


def report(args) -> int:
    from evlearn.continual.report import markdown_table, write_report

    folder = getattr(args, "folder", None) or args.out
    out = write_report(folder)
    print(markdown_table(out["rows"]))
    if out["unfinished"]:
        runs = ", ".join(f"{r['label']} seed {r['seed']} ({r['state']})" for r in out["unfinished"])
        print(f"evlearn bench report: warning: {len(out['unfinished'])} unfinished run(s) left out of the table: "
              f"{runs}", file=sys.stderr)
    print(f"\nwrote {out['report']} and {', '.join(str(f) for f in out['figures'])}")
    return 0
