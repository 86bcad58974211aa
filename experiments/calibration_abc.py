"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), in the unit cube.

Population Monte Carlo ABC (Beaumont, Cornuet, Marin & Robert 2009, Biometrika 96: 983–990)
with a tolerance set each generation by a quantile of the distances (Drovandi & Pettitt 2011).
Every free parameter is mapped to [0, 1] (on a log scale where its prior is log-uniform), so the
prior is uniform on the unit cube and an importance weight is 1 / proposal density.

Generation 0 draws from the prior with a scrambled Sobol sequence (scipy.stats.qmc) and keeps
the `keep` closest particles. Each later generation perturbs particles of the previous one
with a Gaussian kernel of twice their weighted covariance, simulates the proposals, and keeps
the `keep` closest among them whose distance is within the previous tolerance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.stats import qmc


@dataclass
class Generation:
    """Particles kept at one tolerance: positions in the unit cube and normalized weights."""

    index: int
    tolerance: float
    u: np.ndarray  # [keep, dims]
    weights: np.ndarray  # [keep], sums to 1
    distances: np.ndarray  # [keep]
    proposal_ids: np.ndarray  # [keep], rows of the proposals table
    proposed: int

    @property
    def effective_size(self) -> float:
        return float(1.0 / np.sum(self.weights**2))


def log_distance(simulated: np.ndarray, recorded: np.ndarray) -> np.ndarray:
    """Root mean square of log(simulated / recorded) over the targets, one added to both so a
    count of zero stays finite. The record says "about": a ratio, not a difference, matters."""
    ratio = np.log((np.asarray(simulated, float) + 1.0) / (np.asarray(recorded, float) + 1.0))
    return np.sqrt(np.mean(ratio**2, axis=-1))


def prior_draws(n: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """The first n points of a scrambled Sobol sequence: an even cover of the prior's unit cube
    (exactly balanced when n is a power of two, nearly so otherwise)."""
    sampler = qmc.Sobol(d=dims, scramble=True, rng=rng)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The balance properties", category=UserWarning)
        return sampler.random(n)


def kernel_covariance(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Twice the weighted covariance of the particles (Beaumont et al. 2009), kept invertible."""
    cov = 2.0 * np.atleast_2d(np.cov(u, rowvar=False, aweights=weights))
    return cov + 1e-9 * np.eye(u.shape[1])


def propose(
    previous: Generation, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n proposals inside the unit cube, and their importance weights (prior / proposal).

    A proposal outside the cube is redrawn, parent and perturbation both, so the proposal
    density is the kernel mixture truncated to the cube times a constant.
    """
    cov = kernel_covariance(previous.u, previous.weights)
    chol = np.linalg.cholesky(cov)
    out = np.empty((0, previous.u.shape[1]))
    while out.shape[0] < n:
        parents = rng.choice(previous.u.shape[0], size=n, p=previous.weights)
        step = rng.standard_normal((n, previous.u.shape[1])) @ chol.T
        candidate = previous.u[parents] + step
        inside = np.all((candidate >= 0.0) & (candidate <= 1.0), axis=1)
        out = np.vstack([out, candidate[inside]])
    u = out[:n]
    density = np.zeros(n)
    for parent, w in zip(previous.u, previous.weights, strict=True):
        density += w * stats.multivariate_normal.pdf(u, mean=parent, cov=cov)
    return u, 1.0 / density


def select(
    index: int,
    u: np.ndarray,
    importance: np.ndarray,
    distances: np.ndarray,
    proposal_ids: np.ndarray,
    keep: int,
    ceiling: float = np.inf,
) -> Generation:
    """The `keep` closest proposals within `ceiling`, as the next generation."""
    order = np.argsort(distances, kind="stable")[:keep]
    order = order[distances[order] <= ceiling]
    if order.size == 0:
        order = np.argsort(distances, kind="stable")[:1]  # never an empty generation
    weights = importance[order] / importance[order].sum()
    return Generation(
        index=index,
        tolerance=float(distances[order].max()),
        u=u[order],
        weights=weights,
        distances=distances[order],
        proposal_ids=proposal_ids[order],
        proposed=int(u.shape[0]),
    )


def weighted_quantile(x: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantile of a weighted sample (inverse of the weighted empirical distribution, midpoint
    interpolation)."""
    order = np.argsort(x)
    x, w = x[order], weights[order] / weights.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return np.interp(q, cdf, x)
