"""Shared fixtures: the real data subsets in ../shared/data and seeded generators."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("EVLEARN_SHARED_DATA", ROOT.parent / "shared" / "data"))


# CI sets this so a missing data folder fails instead of skipping: CI must prove the data path.
REQUIRE_SHARED_DATA = os.environ.get("EVLEARN_REQUIRE_SHARED_DATA", "") not in ("", "0")
MISSING_SHARED_DATA = (f"needs the real data subsets in ../shared/data (not found at {SHARED_DATA}; "
                       "set EVLEARN_SHARED_DATA to another folder)")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: tests using it skip without it (one reason), or fail where
    EVLEARN_REQUIRE_SHARED_DATA=1 (CI)."""
    if not (SHARED_DATA / "nmnist-small").is_dir():
        if REQUIRE_SHARED_DATA:
            pytest.fail(f"EVLEARN_REQUIRE_SHARED_DATA is set but the test {MISSING_SHARED_DATA}")
        pytest.skip(MISSING_SHARED_DATA)
    return SHARED_DATA


@pytest.fixture(scope="session")
def nmnist_dir(shared_data) -> Path:
    return shared_data / "nmnist-small"


@pytest.fixture(scope="session")
def mnist_dir(shared_data) -> Path:
    return shared_data / "mnist-small"


@pytest.fixture(scope="session")
def camera_samples(shared_data) -> Path:
    """Real EVT 2.0 / EVT 3.0 / DAT / AEDAT 4.0 recordings (see its README)."""
    return shared_data / "camera-samples"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread: on a shared 2-core machine contended threads are much slower."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def local_executor():
    """A Dask LocalCluster of 2 worker processes, shared by the tests that need one (startup costs seconds)."""
    from evlearn.parallel import Executor

    with Executor("local", n_workers=2) as executor:
        yield executor


FUZZ_CASES: dict[str, int] = {}


@pytest.fixture(scope="session")
def fuzz_cases() -> dict[str, int]:
    """Fuzz targets add their case counts here; the totals are printed at the end of the session."""
    return FUZZ_CASES


def pytest_terminal_summary(terminalreporter):
    if FUZZ_CASES:
        terminalreporter.section("fuzz cases per target")
        for target, count in sorted(FUZZ_CASES.items()):
            terminalreporter.write_line(f"{target:40s} {count}")
