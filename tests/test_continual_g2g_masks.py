"""G2GNet masks: density and group structure exactly as specified, for several seeds and sizes."""
import numpy as np
import pytest

from evlearn.continual.g2g_masks import (
    block_density, contiguous_groups, expected_density, g2g_mask, interleaved_groups, layer_groups,
    make_layer_mask, mask_stats, same_group,
)

SIZES = [(784, 256), (256, 256), (2312, 512), (100, 30), (37, 19)]


def test_contiguous_and_interleaved_groups():
    assert contiguous_groups(8, 4).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert contiguous_groups(10, 8).tolist() == [0, 0, 1, 2, 3, 4, 4, 5, 6, 7]
    assert interleaved_groups(6, 4).tolist() == [0, 1, 2, 3, 0, 1]
    sizes = np.bincount(contiguous_groups(37, 8))
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == 37


@pytest.mark.parametrize("grouping", ["index", "random", "mixer"])
@pytest.mark.parametrize("n_in,n_out", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_exact_mask_density_and_blocks(grouping, n_in, n_out, seed):
    p_inter = 0.15
    lm = make_layer_mask(n_in, n_out, n_groups=8, p_inter=p_inter, grouping=grouping,
                         layer_index=seed % 2, seed=seed)
    same = same_group(lm.in_groups, lm.out_groups)
    assert lm.mask.shape == (n_out, n_in) and lm.mask.dtype == bool
    assert lm.mask[same].all()                       # matched groups are dense
    n_inter = (~same).sum()
    assert lm.mask[~same].sum() == round(p_inter * n_inter)   # exact inter-group count
    # every group has members and the block structure is what was asked
    assert np.bincount(lm.in_groups, minlength=8).min() >= 1
    blocks = block_density(lm.mask, lm.in_groups, lm.out_groups, 8)
    np.testing.assert_allclose(np.diag(blocks), 1.0)
    off = blocks[~np.eye(8, dtype=bool)]
    assert off.min() >= 0 and off.max() <= 1
    # reproducible from the seed, different for another seed
    again = make_layer_mask(n_in, n_out, n_groups=8, p_inter=p_inter, grouping=grouping,
                            layer_index=seed % 2, seed=seed)
    np.testing.assert_array_equal(again.mask, lm.mask)
    other = make_layer_mask(n_in, n_out, n_groups=8, p_inter=p_inter, grouping=grouping,
                            layer_index=seed % 2, seed=seed + 100)
    assert not np.array_equal(other.mask, lm.mask)


@pytest.mark.parametrize("n_in,n_out", SIZES[:3])
@pytest.mark.parametrize("sparsity", [0.5, 0.75, 0.8])
@pytest.mark.parametrize("seed", [0, 3])
def test_target_sparsity_is_exact(n_in, n_out, sparsity, seed):
    lm = make_layer_mask(n_in, n_out, n_groups=8, sparsity=sparsity, grouping="mixer", seed=seed)
    assert lm.mask.sum() == round((1 - sparsity) * n_in * n_out)
    stats = mask_stats(lm.mask, lm.in_groups, lm.out_groups)
    assert stats["intra_density"] == 1.0
    assert abs(stats["sparsity"] - sparsity) < 1 / (n_in * n_out)


def test_unreachable_sparsity_is_an_error():
    # 8 dense diagonal blocks alone have density 1/8: 90 % sparsity cannot keep them.
    with pytest.raises(ValueError, match="not reachable"):
        make_layer_mask(64, 64, n_groups=8, sparsity=0.9)


def test_group_assignments():
    gi, go = layer_groups(16, 8, 4, "index")
    assert gi.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4 and go.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    gi, go = layer_groups(16, 8, 4, "mixer", layer_index=1)
    assert gi.tolist() == [0, 1, 2, 3] * 4 and go.tolist() == [0, 1, 2, 3] * 2
    gi0, _ = layer_groups(16, 8, 4, "mixer", layer_index=2)
    assert gi0.tolist() == layer_groups(16, 8, 4, "index")[0].tolist()
    gi, go = layer_groups(16, 8, 4, "random", rng=0)
    assert np.bincount(gi).tolist() == [4] * 4 and np.bincount(go).tolist() == [2] * 4
    assert gi.tolist() != layer_groups(16, 8, 4, "index")[0].tolist()


def test_bernoulli_sampling_matches_expected_density():
    gi, go = layer_groups(512, 512, 8, "index")
    densities = [g2g_mask(gi, go, p_inter=0.15, sampling="bernoulli", rng=s).mean() for s in range(3)]
    expected = expected_density(gi, go, 0.15)
    assert abs(expected - (1 / 8 + 7 / 8 * 0.15)) < 1e-12
    assert all(abs(d - expected) < 0.005 for d in densities)
    assert len(set(densities)) > 1            # Bernoulli: the count varies with the seed


def test_p_intra_below_one_and_extremes():
    gi, go = layer_groups(40, 40, 4, "index")
    m = g2g_mask(gi, go, p_inter=0.0, p_intra=0.5, rng=0)
    same = same_group(gi, go)
    assert m[same].sum() == round(0.5 * same.sum()) and m[~same].sum() == 0
    assert g2g_mask(gi, go, p_inter=1.0, rng=0).all()


@pytest.mark.parametrize("bad", [
    dict(n_groups=0), dict(n_groups=300), dict(p_inter=1.5), dict(grouping="blocks"), dict(sampling="poisson"),
])
def test_invalid_arguments(bad):
    kwargs = dict(n_groups=8, p_inter=0.15, grouping="index", sampling="exact")
    kwargs.update(bad)
    with pytest.raises(ValueError):
        make_layer_mask(256, 256, **kwargs)
