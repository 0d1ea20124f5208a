"""The candidate × demand coverage matrix: sparse, boolean, CSR arrays (:class:`CoverMatrix`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CoverMatrix:
    """Candidate × demand boolean matrix in CSR form: candidate ``j`` covers demand
    ``indices[indptr[j]:indptr[j + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    n_demand: int

    @property
    def n_candidates(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_pairs(
        cls, cand: np.ndarray, demand: np.ndarray, n_candidates: int, n_demand: int
    ) -> CoverMatrix:
        """From unique (candidate, demand) index pairs."""
        cand, demand = np.asarray(cand, np.int64), np.asarray(demand, np.int64)
        order = np.lexsort((demand, cand))
        cand, demand = cand[order], demand[order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(cand, minlength=n_candidates))])
        return cls(indptr=indptr.astype(np.int64), indices=demand, n_demand=n_demand)

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> CoverMatrix:
        """From a boolean candidate × demand array (tests, small cases)."""
        cand, demand = np.nonzero(np.asarray(dense, bool))
        return cls.from_pairs(cand, demand, dense.shape[0], dense.shape[1])

    def row(self, j: int) -> np.ndarray:
        return self.indices[self.indptr[j] : self.indptr[j + 1]]

    def gains(self, weights: np.ndarray, covered: np.ndarray | None = None) -> np.ndarray:
        """Marginal gain of every candidate: summed weight of the demand it covers not yet covered."""
        w = np.asarray(weights, float)
        if covered is not None:
            w = np.where(covered, 0.0, w)
        rows = np.repeat(np.arange(self.n_candidates), np.diff(self.indptr))
        return np.bincount(rows, weights=w[self.indices], minlength=self.n_candidates)

    def value(self, chosen: Sequence[int], weights: np.ndarray) -> float:
        """Summed weight of the demand covered by the ``chosen`` candidates."""
        hit = np.zeros(self.n_demand, bool)
        for j in chosen:
            hit[self.row(j)] = True
        return float(np.asarray(weights, float)[hit].sum())
