"""``--scheduler`` / ``--workers``: the execution options shared by the long-running commands.

A command adds them with :func:`add_execution_options` and runs its tasks inside
``with open_executor(args, "feast extract") as executor:``; the library function
takes that :class:`evlearn.parallel.Executor` (see docs/scaling.md).
"""
from __future__ import annotations

import contextlib
import sys

HELP = """\
where the tasks run: 'none' (default) in this process; 'local' a Dask LocalCluster of
--workers processes on this machine; or the address of a running Dask scheduler,
e.g. tcp://host:8786 (see docs/scaling.md)"""


def add_execution_options(parser) -> None:
    group = parser.add_argument_group("parallel execution (Dask; docs/scaling.md)")
    group.add_argument("--scheduler", default="none", metavar="none|local|ADDRESS", help=HELP)
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes of --scheduler local, one thread each (default: the "
                       "machine's cores); --workers N alone implies --scheduler local")


def executor_settings(args) -> tuple[str, int | None]:
    """(scheduler, n_workers) from the parsed options; ValueError on a bad combination."""
    scheduler, workers = str(args.scheduler).strip(), args.workers
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    if scheduler == "none" and workers is not None and workers > 1:
        scheduler = "local"
    if scheduler == "none":
        return scheduler, None
    if workers is not None and scheduler != "local":
        raise ValueError("--workers applies to --scheduler local; a scheduler at an address uses the "
                         "workers started with `dask worker`")
    return scheduler, workers


@contextlib.contextmanager
def open_executor(args, command: str):
    """The executor the options ask for; prints the Dask dashboard address once on stderr."""
    from evlearn.parallel import Executor

    scheduler, workers = executor_settings(args)
    with Executor(scheduler, workers) as executor:
        if not executor.is_serial:
            import importlib.util

            served = importlib.util.find_spec("bokeh") is not None   # distributed serves it only then
            print(f"evlearn {command}: Dask scheduler {scheduler}, {executor.n_workers} worker(s), dashboard "
                  f"{executor.dashboard_link}" + ("" if served else " (pip install bokeh to view it)"),
                  file=sys.stderr)
        yield executor
