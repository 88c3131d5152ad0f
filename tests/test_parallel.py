"""Execution helper: serial and Dask runs give the same results in task order; clear errors."""
from __future__ import annotations

import operator
import os
import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evlearn.cli.execution import executor_settings
from evlearn.parallel import Executor, check_scheduler, guided_sizes, partitions, run_tasks, task_seeds


def _slow_square(x):
    time.sleep(0.05 * (x % 3))            # finish out of order on purpose
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("task 3 is bad")
    return x


def _seeded_draw(task, shared):
    import numpy as np

    seed, n = task
    return float(np.random.default_rng(seed).normal(size=n).sum() + shared["offset"])


def test_local_cluster_equals_serial_in_task_order(local_executor):
    tasks = [(seed, 100) for seed in task_seeds(7, 12)]
    shared = {"offset": 0.5}
    serial = run_tasks(_seeded_draw, tasks, shared=shared)
    assert local_executor.n_workers == 2
    assert local_executor.map(_seeded_draw, tasks, shared=shared) == serial
    finished = []
    squares = local_executor.map(_slow_square, range(9), on_result=lambda i, r: finished.append(i))
    assert squares == [x * x for x in range(9)] and sorted(finished) == list(range(9))


def _worker_settings(_):
    import os

    import dask

    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.worker.profile.enabled"),
            dask.config.get("distributed.admin.tick.interval"))


def test_local_workers_keep_glibc_adaptive_malloc_and_skip_the_profiler(local_executor):
    # Dask's default MALLOC_TRIM_THRESHOLD_ doubled PyTorch's CPU time per training step on workers,
    # its 10 ms stack sampling added ~20 %, its 20 ms event-loop ticks most of an idle cluster's 12 % of a core
    assert local_executor.map(_worker_settings, range(2)) == [(None, False, "1s")] * 2


def test_local_workers_unset_a_malloc_threshold_left_in_the_environment(monkeypatch):
    # a default Dask nanny started earlier in the process leaves it in os.environ for every later worker
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with Executor("local", 1) as executor:
        assert executor.map(_worker_settings, range(1))[0][0] is None
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"      # the caller's environment is left as it was


def test_task_error_is_raised_in_the_caller(local_executor):
    with pytest.raises(ValueError, match="task 3 is bad"):
        local_executor.map(_fail_on_three, range(6))
    with pytest.raises(ValueError, match="task 3 is bad"):
        run_tasks(_fail_on_three, range(6))


def test_serial_map_passes_shared_and_reports_each_result():
    seen = []
    assert Executor().map(operator.add, [1, 2, 3], shared=10, on_result=lambda i, r: seen.append((i, r))) == \
        [11, 12, 13]
    assert seen == [(0, 11), (1, 12), (2, 13)]
    assert run_tasks(operator.neg, []) == []


def test_missing_scheduler_is_one_clear_error_within_seconds():
    with socket.socket() as sock:                 # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=f"no Dask scheduler answers at tcp://127.0.0.1:{port}"):
        Executor(f"127.0.0.1:{port}", connect_timeout_s=2).start()
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("text, expected", [("none", "none"), ("local", "local"),
                                            ("tcp://10.0.0.1:8786", "tcp://10.0.0.1:8786"),
                                            ("head:8786", "tcp://head:8786")])
def test_scheduler_names_and_addresses(text, expected):
    assert check_scheduler(text) == expected


@given(st.text(max_size=20))
def test_bad_scheduler_text_is_a_value_error(text):
    try:
        check_scheduler(text)
    except ValueError as err:
        assert "scheduler must be" in str(err)


def test_bad_executor_settings():
    with pytest.raises(ValueError, match="scheduler must be"):
        Executor("lokal")
    with pytest.raises(ValueError, match="n_workers"):
        Executor("local", n_workers=0)
    with pytest.raises(ValueError, match="local cluster only"):
        Executor("tcp://h:1", n_workers=2)


@pytest.mark.parametrize("scheduler, workers, expected", [
    ("none", None, ("none", None)), ("none", 1, ("none", None)), ("none", 2, ("local", 2)),
    ("local", None, ("local", None)), ("tcp://h:1", None, ("tcp://h:1", None))])
def test_cli_option_combinations(scheduler, workers, expected):
    class Args:
        pass

    args = Args()
    args.scheduler, args.workers = scheduler, workers
    assert executor_settings(args) == expected


def test_cli_rejects_workers_with_an_address():
    class Args:
        scheduler, workers = "tcp://h:1", 4

    with pytest.raises(ValueError, match="--workers applies to --scheduler local"):
        executor_settings(Args())


@given(st.integers(0, 2**32 - 1), st.integers(1, 20), st.integers(1, 20))
def test_task_seeds_do_not_depend_on_how_many_tasks_follow(seed, n, m):
    short, long = task_seeds(seed, n), task_seeds(seed, n + m)
    assert long[:n] == short and len(set(long)) == n + m


@given(st.lists(st.integers(), max_size=50), st.integers(1, 12))
def test_partitions_keep_every_item_in_order(items, size):
    parts = partitions(items, size)
    assert [x for part in parts for x in part] == items
    assert all(1 <= len(p) <= size for p in parts)


@given(st.integers(0, 5000), st.integers(1, 300), st.integers(1, 100), st.integers(1, 100))
def test_guided_sizes_shrink_within_bounds_and_cover_every_item(n, workers, max_size, min_size):
    min_size = min(min_size, max_size)
    sizes = guided_sizes(n, workers, max_size, min_size)
    assert sum(sizes) == n and all(1 <= s <= max_size for s in sizes)
    assert all(a >= b for a, b in zip(sizes, sizes[1:]))          # large first, small last
    assert all(s >= min_size for s in sizes[:-1])                   # only the last may be smaller
    items = list(range(n))
    assert [x for part in partitions(items, sizes) for x in part] == items


@pytest.mark.parametrize("workers, max_size, min_size", [(0, 8, 1), (2, 8, 0), (2, 4, 8)])
def test_guided_sizes_reject_impossible_bounds(workers, max_size, min_size):
    with pytest.raises(ValueError, match="n_workers >= 1 and 1 <= min_size <= max_size"):
        guided_sizes(10, workers, max_size, min_size)


def test_partitions_reject_sizes_that_do_not_add_up():
    with pytest.raises(ValueError, match="add up to 3"):
        partitions([1, 2, 3], [1, 1])
