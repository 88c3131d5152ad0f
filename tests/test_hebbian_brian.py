"""Brian2 network vs the numba reference simulator: statistically the same magnetisations."""
import numpy as np
import pytest

from evlearn.hebbian import brian as B
from evlearn.hebbian import couplings as C
from evlearn.hebbian import glauber as G
from evlearn.hebbian import patterns as P
from evlearn.hebbian.experiments import ordered

pytest.importorskip("brian2")


@pytest.fixture(scope="module")
def network():
    rng = np.random.default_rng(5)
    xi = P.make_archetypes(400, 2, 0.2, rng)
    couplings = C.supervised_couplings(P.make_examples(xi, 8, 0.7, rng), r=0.7, d=0.2, convention="mean-field")
    return xi, couplings


def test_brian2_and_numba_magnetisations_agree(network):
    xi, couplings = network
    beta = 1 / 0.7  # m_1 depends strongly on temperature here, so a wrong update rule would show
    numba = np.array([ordered(G.simulate(couplings, xi, beta, 30, n_measure=20, init="archetype", seed=s).m_mean)
                      for s in range(12)])
    brian = np.array([ordered(B.simulate_brian2(couplings, xi, beta, 30, n_measure=20, init="archetype",
                                                seed=100 + s).m_mean) for s in range(3)])
    # m_1: same mean within sampling error of both; m_2 stays at finite-size noise level in both
    spread = numba[:, 0].std(ddof=1) * np.sqrt(1 / 12 + 1 / 3)
    assert abs(brian[:, 0].mean() - numba[:, 0].mean()) < 4 * spread + 0.01
    assert brian[:, 0].mean() > 0.4 and numba[:, 1].max() < 0.15 and brian[:, 1].max() < 0.15


def test_brian2_objects_and_codegen_target_restored(network):
    from brian2 import prefs

    xi, couplings = network
    before = prefs.codegen.target
    result = B.simulate_brian2(couplings, xi, 2.0, 2, n_measure=1, target="numpy", record_cost=True)
    assert prefs.codegen.target == before
    assert result.m_trace.shape == (3, 2) and np.all(np.abs(result.m_trace) <= 1)
    assert result.seed == 0 and result.cost_trace.shape == (3,)  # seeded by default, seed recorded
    again = B.simulate_brian2(couplings, xi, 2.0, 2, n_measure=1)
    np.testing.assert_array_equal(result.m_trace, again.m_trace)


def test_brian2_rejects_bad_parameters(network):
    xi, couplings = network
    with pytest.raises(ValueError):
        B.simulate_brian2(couplings, xi, float("inf"), 2)
    with pytest.raises(ValueError):
        B.simulate_brian2(couplings, xi, 1.0, 2, p_update=0.0)
    with pytest.raises(ValueError, match="use backend 'numba'"):
        B.simulate_brian2(couplings, xi, 1.0, 2, max_memory_bytes=2**20)


def test_brian2_synapses_carry_the_hebbian_couplings(network):
    from brian2 import Network, ms

    xi, couplings = network
    J = couplings.dense()
    with B.codegen_target("numpy"):
        units = B.make_units(xi.shape[1], 2.0, 0.1, 1 * ms)
        synapses = B.make_hebbian_synapses(units, J)
        Network(units, synapses).run(1 * ms, namespace={})
    i, j = np.asarray(synapses.i[:]), np.asarray(synapses.j[:])
    assert len(i) == xi.shape[1] * (xi.shape[1] - 1) and not np.any(i == j)
    np.testing.assert_allclose(np.asarray(synapses.w[:]), J[i, j])
    assert float(synapses.clock.dt / ms) == 1.0


def test_brian2_network_runs_in_a_worker_thread(network):
    """Dask runs tasks in worker threads, where brian2's import-time SIGINT handler would fail."""
    import subprocess
    import sys

    code = ("import threading, numpy as np\n"
            "from evlearn.hebbian import brian, couplings, patterns\n"
            "xi = patterns.make_archetypes(60, 2, 0.2, 0)\n"
            "out = []\n"
            "t = threading.Thread(target=lambda: out.append(brian.simulate_brian2(\n"
            "    couplings.archetype_couplings(xi, 0.2), xi, 5.0, 2, n_measure=1).m_mean))\n"
            "t.start(); t.join(); print(len(out))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "1", result.stderr[-2000:]
