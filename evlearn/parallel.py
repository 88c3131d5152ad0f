"""Run independent tasks serially or on Dask: the one module of evlearn that talks to Dask.

A part describes its work as a list of tasks (picklable values that carry their
own seeds) and a module-level function ``fn(task)``, or ``fn(task, shared)`` when
every task needs the same large object (a fitted model, a data set), which is
then sent to each worker once. Results come back in task order, so they never
depend on the number of workers or on the order in which tasks finish::

    from evlearn.parallel import Executor, run_tasks

    squares = run_tasks(pow2, [1, 2, 3], scheduler="local", n_workers=2)   # one-off

    with Executor("tcp://head:8786") as executor:                          # reused
        first = executor.map(extract_partition, partitions, shared=model, progress=True)

``scheduler`` is ``"none"`` (in-process loop), ``"local"`` (a
``dask.distributed.LocalCluster`` of ``n_workers`` processes with one thread
each) or the address of a running scheduler (``tcp://host:8786``). Dask is
imported only when a scheduler other than ``"none"`` is used. Task functions run
on workers: they write their own files (atomically) and return small results.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
from typing import Any, Callable, Iterable, Sequence

from evlearn.progress import progress_bar

# Settings of --scheduler local's cluster (docs/scaling.md gives them for a cluster). Dask's nanny sets
# MALLOC_TRIM_THRESHOLD_, after which glibc stops adapting its mmap threshold and every short-lived tensor of a
# few hundred KB is mapped and zeroed anew (a Split-MNIST run took twice its serial CPU time); Dask's statistical
# profiler, sampling task stacks every 10 ms for the dashboard, added another ~20 % to a Python-heavy run.
# Event-loop health ticks every 20 ms, memory polls every 100 ms and system monitoring every 500 ms kept an idle
# 2-worker cluster at ~15 % of a core (~2 % at these intervals; benchmarks/scaling.py), preempting the tasks
# on a machine whose cores they all use; the loop still warns when blocked over 3 s, memory limits act within 1 s.
WORKER_SETTINGS = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                   "distributed.worker.profile.enabled": False,
                   "distributed.admin.tick.interval": "1s",
                   "distributed.worker.memory.monitor-interval": "1s",
                   "distributed.admin.system-monitor.interval": "2s"}

NONE, LOCAL = "none", "local"
_ADDRESS_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")
_NO_SHARED = object()


def check_scheduler(scheduler: str) -> str:
    """``"none"``, ``"local"`` or a scheduler address (``tcp://host:port``, ``host:port``)."""
    text = str(scheduler).strip()
    if text in (NONE, LOCAL) or text.startswith(_ADDRESS_SCHEMES):
        return text
    host, _, port = text.rpartition(":")
    if host and port.isdigit():
        return f"tcp://{text}"
    raise ValueError(f"scheduler must be 'none', 'local' or an address like tcp://host:8786, got {scheduler!r}")


def task_seeds(seed: int, n_tasks: int) -> list[int]:
    """Independent seeds for ``n_tasks`` tasks, derived from one run ``seed`` (NumPy SeedSequence).

    Task ``i`` gets the same seed whatever the number of tasks after it or of workers.

    Examples
    --------
    >>> task_seeds(0, 3) == task_seeds(0, 5)[:3]
    True
    """
    import numpy as np

    return [int(s.generate_state(1, np.uint32)[0]) for s in np.random.SeedSequence(seed).spawn(n_tasks)]


def partitions(items: Sequence, size: int | Sequence[int]) -> list[list]:
    """``items`` cut into consecutive lists: of at most ``size`` each, or of the given ``size`` list
    (e.g. :func:`guided_sizes`; its sum must equal ``len(items)``).

    Examples
    --------
    >>> partitions("abcdefg", 3)
    [['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]
    >>> partitions("abcdefg", [4, 2, 1])
    [['a', 'b', 'c', 'd'], ['e', 'f'], ['g']]
    """
    items = list(items)
    if isinstance(size, int):
        if size < 1:
            raise ValueError(f"partition size must be >= 1, got {size}")
        size = [min(size, len(items) - start) for start in range(0, len(items), size)]
    if any(s < 1 for s in size) or sum(size) != len(items):
        raise ValueError(f"partition sizes must be >= 1 and add up to {len(items)}, got {list(size)}")
    bounds = itertools.accumulate(size, initial=0)
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def guided_sizes(n_items: int, n_workers: int, max_size: int, min_size: int = 1) -> list[int]:
    """Sizes of consecutive partitions of ``n_items`` for ``n_workers`` (guided self-scheduling).

    Each partition takes ``1 / (2 n_workers)`` of the items left, kept within
    [``min_size``, ``max_size``]: the first tasks are large (few round trips to the
    scheduler), the last ones small, so that the workers finish together rather than
    one waiting for another's last large task.

    Examples
    --------
    >>> guided_sizes(100, n_workers=2, max_size=16, min_size=4)
    [16, 16, 16, 13, 10, 8, 6, 4, 4, 4, 3]
    """
    if n_workers < 1 or not 1 <= min_size <= max_size:
        raise ValueError(f"need n_workers >= 1 and 1 <= min_size <= max_size, got n_workers={n_workers}, "
                         f"min_size={min_size}, max_size={max_size}")
    sizes, left = [], int(n_items)
    while left > 0:
        size = min(left, max(min_size, min(max_size, math.ceil(left / (2 * n_workers)))))
        sizes.append(size)
        left -= size
    return sizes


class Executor:
    """Serial loop or Dask client behind one ``map``; a context manager that owns its cluster.

    ``connect_timeout_s`` bounds the wait for a scheduler address that does not
    answer: the error is a ``ValueError`` naming the address, not a hang.

    Examples
    --------
    >>> with Executor("none") as executor:          # or "local", or "tcp://head:8786"
    ...     executor.map(pow, [1, 2, 3], shared=2)  # pow(task, shared), in task order
    [1, 4, 9]
    """

    def __init__(self, scheduler: str = NONE, n_workers: int | None = None, *, connect_timeout_s: float = 5.0):
        self.scheduler = check_scheduler(scheduler)
        if n_workers is not None and (int(n_workers) != n_workers or n_workers < 1):
            raise ValueError(f"n_workers must be an integer >= 1, got {n_workers!r}")
        if n_workers is not None and self.scheduler not in (NONE, LOCAL):
            raise ValueError("n_workers applies to a local cluster only; a scheduler at an address "
                             "has the workers started with `dask worker`")
        self.n_workers_wanted = n_workers
        self.connect_timeout_s = connect_timeout_s
        self.client = None
        self._cluster = None

    # ------------------------------------------------------------ life cycle
    def __enter__(self) -> "Executor":
        self.start()
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    def start(self) -> "Executor":
        """Start the Dask client (a local cluster or a connection to the scheduler); nothing for ``scheduler='none'``. Returns self."""
        if self.scheduler == NONE or self.client is not None:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError(f"scheduler {self.scheduler!r} needs Dask: pip install dask distributed") from None
        if self.scheduler == LOCAL:
            import dask

            with dask.config.set(WORKER_SETTINGS), _environ_without("MALLOC_TRIM_THRESHOLD_"):
                self._cluster = LocalCluster(n_workers=self.n_workers_wanted or os.cpu_count() or 1,
                                             threads_per_worker=1, processes=True, dashboard_address=":0",
                                             silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout_s}s")
            except (OSError, TimeoutError) as err:
                raise ValueError(f"no Dask scheduler answers at {self.scheduler} (waited "
                                 f"{self.connect_timeout_s:g} s): {type(err).__name__}; start one with "
                                 f"`dask scheduler` or use --scheduler local") from None
        return self

    def close(self) -> None:
        """Close the Dask client and any local cluster it started."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    # ------------------------------------------------------------ facts
    @property
    def is_serial(self) -> bool:
        """Whether tasks run one after the other in this process (``scheduler='none'``)."""
        return self.scheduler == NONE

    @property
    def dashboard_link(self) -> str | None:
        """URL of the Dask dashboard (served only where bokeh is installed), or None when serial."""
        return None if self.client is None else self.client.dashboard_link

    @property
    def n_workers(self) -> int:
        """Workers connected now (1 when serial)."""
        if self.client is None:
            return 1
        return len(self.client.scheduler_info()["workers"])

    # ------------------------------------------------------------ work
    def map(self, fn: Callable, tasks: Iterable, *, shared: Any = _NO_SHARED, progress: bool = False,
            desc: str | None = None, on_result: Callable[[int, Any], None] | None = None,
            preimport: tuple[str, ...] = ()) -> list:
        """``[fn(task) or fn(task, shared) for task in tasks]``, on this executor's workers.

        ``on_result(i, result)`` is called in the calling process as each task
        finishes (in completion order), e.g. to record progress durably. The
        first task that raises cancels the others and its exception is raised
        here; a task whose worker dies is run again on another worker.
        ``preimport`` names modules each worker imports in its main thread
        before running tasks (Brian2 sets a signal handler when imported, which
        only a main thread may do; Dask runs tasks in other threads).
        """
        tasks = list(tasks)
        if self.is_serial:
            return self._map_serial(fn, tasks, shared, progress, desc, on_result)
        if self.client is None:
            self.start()
        if preimport:
            self.client.register_plugin(_import_plugin(tuple(preimport)))
        return self._map_dask(fn, tasks, shared, progress, desc, on_result)

    @staticmethod
    def _map_serial(fn, tasks, shared, progress, desc, on_result) -> list:
        results = []
        for i, task in enumerate(progress_bar(tasks, progress, desc=desc, unit="task", total=len(tasks))):
            result = fn(task) if shared is _NO_SHARED else fn(task, shared)
            if on_result is not None:
                on_result(i, result)
            results.append(result)
        return results

    def _map_dask(self, fn, tasks, shared, progress, desc, on_result) -> list:
        from distributed import as_completed

        if not tasks:
            return []
        kwargs = {}
        if shared is not _NO_SHARED:   # sent once to every worker, then passed by reference
            kwargs["shared"] = self.client.scatter(shared, broadcast=True, hash=False)
        futures = self.client.map(_call, [fn] * len(tasks), tasks, pure=False, **kwargs)
        index = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(tasks)
        bar = progress_bar(None, progress, desc=desc, unit="task", total=len(tasks))
        try:
            for future in as_completed(futures):
                result = future.result()          # re-raises the task's exception here
                i = index[future.key]
                results[i] = result
                if on_result is not None:
                    on_result(i, result)
                bar.update(1)
        except BaseException:
            self.client.cancel(futures)
            raise
        finally:
            bar.close()
        return results


@contextlib.contextmanager
def _environ_without(*names: str):
    """Unset environment variables while local workers are spawned: a nanny started earlier in this process
    with Dask's defaults leaves MALLOC_TRIM_THRESHOLD_ in ``os.environ``, where later workers inherit it
    whatever WORKER_SETTINGS say (and train PyTorch models at up to half speed)."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _import_plugin(modules: tuple[str, ...]):
    """A Dask worker plugin importing ``modules`` on every worker, also on workers that join later."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ImportModules(WorkerPlugin):
        name = "evlearn-import-" + "-".join(modules)

        def setup(self, worker):
            import importlib

            for module in modules:
                importlib.import_module(module)

    return ImportModules()


def _call(fn, task, shared=_NO_SHARED):
    return fn(task) if shared is _NO_SHARED else fn(task, shared)


def run_tasks(fn: Callable, tasks: Iterable, *, scheduler: str = NONE, n_workers: int | None = None,
              shared: Any = _NO_SHARED, progress: bool = False, desc: str | None = None) -> list:
    """One-off :meth:`Executor.map`: start the scheduler, run ``tasks``, close it; results in task order.

    Examples
    --------
    >>> run_tasks(abs, [-1, 2, -3])                  # scheduler="local", n_workers=4: on 4 processes
    [1, 2, 3]
    """
    with Executor(scheduler, n_workers) as executor:
        return executor.map(fn, tasks, shared=shared, progress=progress, desc=desc)
