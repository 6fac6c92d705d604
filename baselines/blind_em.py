"""Blind localization from local features (Splicebuster, Cozzolino, Poggi & Verdoliva, WIFS 2015),
shared by ``splicebuster`` and ``noiseprint``'s blind map.

The windows' features (``cooccurrence.window_features``) are reduced by a whitening PCA fitted on
the usable windows, and an EM fits a two-class model to them: a
Gaussian for the host (the image's majority) and a uniform density for everything else (a fixed
negative log-likelihood). Each window's Mahalanobis distance to the Gaussian is the authors' map;
its posterior of the uniform class is this package's probability.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from .cooccurrence import WindowFeatures

# --- reduction and the Gaussian-uniform EM --------------------------------------------------------
# In float64 torch, on one thread: each step is a few small matrix products, where thread hand-offs
# cost more than they save (a 3 MP image's EM: 8 s on one thread, 40-60 s on two of a busy 2-core
# machine), and NumPy's own multi-threaded BLAS stalls the same way once torch is loaded.

@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch's CPU operations on one thread inside the block, then restore the setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def whitening_pca(samples: torch.Tensor, dims: int) -> torch.Tensor:
    """The ``[F, dims]`` projection onto the ``dims`` leading principal axes of ``samples [N, F]``
    (covariance with 1/N), each scaled to unit variance."""
    centred = samples - samples.mean(0)
    values, vectors = torch.linalg.eigh(centred.T @ centred / len(samples))
    order = torch.argsort(values, descending=True)[:dims]
    return vectors[:, order] / torch.sqrt(values[order])


def eps_of_largest(values: torch.Tensor) -> float:
    """The floating-point spacing at the largest of ``values``: the authors' tiny ridge."""
    return float(np.abs(np.spacing(float(values.max()))))


def safe_cholesky(cov: torch.Tensor) -> torch.Tensor:
    """Lower Cholesky factor; a matrix that is not numerically positive definite first has its
    eigenvalues raised to at least the spacing of the largest."""
    chol, info = torch.linalg.cholesky_ex(cov)
    if int(info) == 0:
        return chol
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(eps_of_largest(values))
    return torch.linalg.cholesky((vectors * values) @ vectors.T)


@dataclass(frozen=True)
class GaussianUniform:
    """A fitted host Gaussian (``mean``, ``cov``) and a uniform class of fixed negative log-likelihood
    ``outlier_nlogl`` with prior ``outlier_prior``; ``avg_loglik`` is the mean log-likelihood of the fit."""

    mean: torch.Tensor
    cov: torch.Tensor
    outlier_prior: float
    outlier_nlogl: float
    avg_loglik: float = float("-inf")
    iterations: int = 0

    def mahalanobis(self, x: torch.Tensor) -> torch.Tensor:
        """Squared Mahalanobis distance of each row of ``x`` to the Gaussian."""
        z = torch.linalg.solve_triangular(safe_cholesky(self.cov), (x - self.mean).T, upper=False)
        return (z * z).sum(0)

    def log_joint(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, 2]``: log prior plus log-likelihood of the Gaussian class, then of the uniform class."""
        logdet = 2.0 * torch.log(torch.diagonal(safe_cholesky(self.cov))).sum()
        nlogl = 0.5 * (self.mahalanobis(x) + logdet + x.shape[1] * math.log(2 * math.pi))
        other = torch.full_like(nlogl, math.log(self.outlier_prior) - self.outlier_nlogl)
        return torch.stack([math.log(1.0 - self.outlier_prior) - nlogl, other], dim=1)

    def outlier_posterior(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior probability of the uniform (non-host) class for each row of ``x``."""
        joint = self.log_joint(x)
        return torch.sigmoid(joint[:, 1] - joint[:, 0])


def e_step(model: GaussianUniform, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Class posteriors ``[N, 2]`` and the mean log-likelihood."""
    joint = model.log_joint(x)
    total = torch.logsumexp(joint, dim=1, keepdim=True)
    return torch.exp(joint - total), float(total.mean())


def m_step(x: torch.Tensor, post: torch.Tensor, outlier_nlogl: float) -> GaussianUniform:
    """The Gaussian's weighted mean and full covariance (plus the authors' tiny ridge) and the priors."""
    w = post[:, 0]
    mass = w.sum()
    mean = w @ x / mass
    d = x - mean
    cov = (d * w[:, None]).T @ d / mass
    cov = cov + eps_of_largest(torch.linalg.eigvalsh(cov)) * torch.eye(x.shape[1], dtype=x.dtype)
    return GaussianUniform(mean, cov, float(post[:, 1].sum() / post.sum()), outlier_nlogl)


def em_once(x: torch.Tensor, start: int, outlier_nlogl: float, max_iter: int, tol: float) -> GaussianUniform:
    """One EM run: the Gaussian starts at sample ``start`` with the samples' per-feature variances, the
    uniform class with prior 0.01; stops when the mean log-likelihood rises by less than ``tol`` of itself."""
    var = x.var(dim=0, unbiased=False)
    model = GaussianUniform(x[start].clone(), torch.diag(var + eps_of_largest(var)), 0.01, outlier_nlogl)
    post, old = e_step(model, x)
    new, steps = old, 0
    while steps < max_iter:
        model = m_step(x, post, outlier_nlogl)
        post, new = e_step(model, x)
        steps += 1
        if 0 <= new - old < tol * abs(new):
            break
        old = new
    return GaussianUniform(model.mean, model.cov, model.outlier_prior, outlier_nlogl, new, steps)


def fit_gaussian_uniform(x: torch.Tensor, *, outlier_nlogl: float = 42.0, replicates: int = 10, seed: int = 0,
                         max_iter: int = 100, tol: float = 1e-5) -> GaussianUniform:
    """The best (highest mean log-likelihood) of ``replicates`` EM runs on float64 ``x [N, D]``, each
    started at a sample drawn by a ``RandomState(seed)`` shared across runs (the authors' initialisation)."""
    rng = np.random.RandomState(seed)
    best = None
    for _ in range(replicates):
        fit = em_once(x, int(rng.randint(0, len(x))), outlier_nlogl, max_iter, tol)
        if best is None or fit.avg_loglik > best.avg_loglik:
            best = fit
    return best


# --- the map --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlindMap:
    """The result on the window grid: the authors' Mahalanobis map, the uniform-class posterior, which
    windows had enough valid pixels, their centres, and the fit (``None`` when too few windows)."""

    mahalanobis: np.ndarray
    posterior: np.ndarray
    valid: np.ndarray
    centres0: np.ndarray
    centres1: np.ndarray
    model: GaussianUniform | None


#: Fewer valid windows than this and no model is fitted (the authors' limit).
MIN_VALID_WINDOWS = 50


def blind_map(win: WindowFeatures, *, min_weight: float, dims: int, replicates: int,
              outlier_nlogl: float = 42.0, seed: int = 0) -> BlindMap:
    """Fit the Gaussian-uniform model on the valid windows' whitened PCA features and score every window."""
    valid = win.weight >= min_weight
    shape = valid.shape
    if int(valid.sum()) < max(MIN_VALID_WINDOWS, dims + 1):
        zeros = np.zeros(shape)
        return BlindMap(zeros, zeros, valid, win.centres0, win.centres1, None)
    with one_thread():
        flat = torch.from_numpy(win.features.reshape(-1, win.features.shape[-1])).double()
        keep = torch.from_numpy(valid.ravel())
        projected = flat @ whitening_pca(flat[keep], dims)
        model = fit_gaussian_uniform(projected[keep], outlier_nlogl=outlier_nlogl, replicates=replicates,
                                     seed=seed)
        return BlindMap(model.mahalanobis(projected).reshape(shape).numpy(),
                        model.outlier_posterior(projected).reshape(shape).numpy(),
                        valid, win.centres0, win.centres1, model)


def fill_invalid(grid: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The grid with its invalid windows set to the smallest valid value (the least suspicious)."""
    if not valid.any():
        return np.zeros_like(grid)
    return np.where(valid, grid, grid[valid].min())


def nearest_index(centres: np.ndarray, length: int) -> np.ndarray:
    """For each pixel 0..length-1, the index of the nearest window centre (edges extend outward)."""
    if len(centres) == 1:
        return np.zeros(length, dtype=np.int64)
    midpoints = (centres[1:] + centres[:-1]) / 2.0
    return np.searchsorted(midpoints, np.arange(length), side="left")


def to_pixels(grid: np.ndarray, centres0: np.ndarray, centres1: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The window grid at pixel resolution: each pixel takes the value of the window centred nearest."""
    if grid.size == 0:
        return np.zeros(shape, dtype=grid.dtype)
    return grid[np.ix_(nearest_index(centres0, shape[0]), nearest_index(centres1, shape[1]))]
