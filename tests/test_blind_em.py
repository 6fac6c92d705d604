"""The machinery shared by ``splicebuster`` and ``noiseprint``'s blind map: co-occurrence codes, block
histograms, windows, the Gaussian-uniform EM and the map at pixel resolution, against brute force."""

from __future__ import annotations

import numpy as np
import torch

from inpaintbench.baselines.blind_em import blind_map, fill_invalid, fit_gaussian_uniform, nearest_index, to_pixels
from inpaintbench.baselines.cooccurrence import (
    WindowFeatures,
    block_counts,
    block_histograms,
    box_mean_valid,
    cooccurrence_codes,
    window_features,
)


def test_cooccurrence_codes_read_order_neighbours_on_the_middle_line():
    q = np.arange(7 * 8).reshape(7, 8) % 3
    codes = cooccurrence_codes(q, 3, 4, along=1)
    assert codes.shape == (3, 4)
    i, j = 1, 2
    assert codes[i, j] == sum(q[i + 2, j + p] * 3 ** p for p in range(4))
    down = cooccurrence_codes(q, 3, 4, along=0)
    assert down[i, j] == sum(q[i + p, j + 2] * 3 ** p for p in range(4))


def test_block_counts_equal_a_per_block_histogram_of_the_valid_pixels():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, (19, 27))
    valid = rng.random((19, 27)) > 0.3
    counts = block_counts(codes, valid, 4, 5)
    assert counts.shape == (4, 6, 5)
    for b0 in range(4):
        for b1 in range(6):
            block = codes[4 * b0:4 * b0 + 4, 4 * b1:4 * b1 + 4][valid[4 * b0:4 * b0 + 4, 4 * b1:4 * b1 + 4]]
            assert counts[b0, b1].tolist() == np.bincount(block, minlength=5).tolist()
    hist, share = block_histograms(counts, counts.sum(-1), 4)
    np.testing.assert_allclose(hist.sum(-1)[share > 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(share, valid[:16, :24].reshape(4, 4, 6, 4).mean((1, 3)), rtol=1e-6)


def test_windows_average_whole_windows_only_and_sit_at_their_centres():
    rng = np.random.default_rng(1)
    a = rng.random((9, 11, 3)).astype(np.float32)
    k = 4
    means = box_mean_valid(a, k)
    assert means.shape == (6, 8, 3)
    np.testing.assert_allclose(means[2, 5], a[2:6, 5:9].mean((0, 1)), rtol=1e-5)
    share = np.full((9, 11), 0.5, np.float32)
    win = window_features(a, share, k, stride=8, offset=2)
    np.testing.assert_allclose(win.features[0, 0], a[:4, :4].mean((0, 1)) / 0.5, rtol=1e-5)
    # window 0 covers blocks 0..3, pixels 2..33 from the codes' origin: centre 17.5
    assert win.centres0[0] == 2 + (8 * 4 - 1) / 2 and win.centres0[1] - win.centres0[0] == 8


def test_the_em_finds_a_planted_foreign_cluster():
    rng = np.random.default_rng(2)
    host = rng.normal(0, 1, (900, 4))
    foreign = rng.normal(0, 1, (100, 4)) + 12
    x = torch.from_numpy(np.concatenate([host, foreign]))
    # in 4 dimensions a host window's negative log-likelihood is about 6, one broad Gaussian's about 11:
    # a uniform level between them (the authors' 42 suits 25-32 whitened dimensions)
    model = fit_gaussian_uniform(x, replicates=5, outlier_nlogl=9.0)
    d2 = model.mahalanobis(x).numpy()
    assert 0.05 < model.outlier_prior < 0.2
    assert d2[:900].max() < d2[900:].min()
    torch.testing.assert_close(model.mean, x[:900].mean(0), atol=0.2, rtol=0)
    post = model.outlier_posterior(x).numpy()
    assert post[900:].min() > 0.99 and np.median(post[:900]) < 0.05


def test_blind_map_scores_the_odd_windows_and_abstains_when_too_few_are_usable():
    rng = np.random.default_rng(3)
    feats = rng.normal(0, 1, (20, 20, 6))
    feats[5:9, 5:9] += 8
    weight = np.ones((20, 20))
    centres = np.arange(20) * 8.0 + 4
    result = blind_map(WindowFeatures(feats, weight, centres, centres), min_weight=0.5, dims=4, replicates=3)
    inside = np.zeros((20, 20), bool)
    inside[5:9, 5:9] = True
    assert result.mahalanobis[~inside].max() < result.mahalanobis[inside].min()
    few = blind_map(WindowFeatures(feats, np.where(inside, 1.0, 0.0), centres, centres), min_weight=0.5, dims=4,
                    replicates=3)
    assert few.model is None and not few.mahalanobis.any()


def test_the_grid_reaches_every_pixel_by_its_nearest_centre():
    centres = np.array([10.5, 18.5, 26.5])
    index = nearest_index(centres, 40)
    assert index[:15].tolist() == [0] * 15 and index[15:23].tolist() == [1] * 8 and index[23:].tolist() == [2] * 17
    grid = np.array([[1.0, 2.0], [3.0, 4.0]])
    pixels = to_pixels(grid, np.array([2.5, 6.5]), np.array([1.5, 5.5]), (9, 8))
    assert pixels.shape == (9, 8) and pixels[0, 0] == 1 and pixels[8, 7] == 4 and pixels[3, 5] == 2
    assert fill_invalid(grid, np.array([[True, False], [True, True]]))[0, 1] == 1.0
