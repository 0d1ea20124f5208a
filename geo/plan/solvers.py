"""Maximal covering solvers on a :class:`geo.plan.matrix.CoverMatrix`: lazy greedy, exhaustive
(tests), exact (CBC via PuLP), and the "auto" choice between them (:func:`solve`).
"""

from __future__ import annotations

import heapq
import itertools
import warnings
from collections.abc import Sequence

import numpy as np

from geo import i18n
from geo.plan.matrix import CoverMatrix
from geo.plan.request import PlanError


def greedy(
    matrix: CoverMatrix, weights: np.ndarray, k: int, *, required: Sequence[np.ndarray] = ()
) -> tuple[list[int], list[float]]:
    """Lazy greedy maximal covering: up to ``k`` candidates and the marginal gain of each.

    ``required`` lists candidate groups of which at least one member must be chosen (one per
    especially difficult commune lacking a support point); they are filled first, each time the
    group member with the largest marginal gain over all open groups (ties: lowest index). Then
    candidates are added by largest marginal gain (lazy evaluation: a stale gain is an upper bound
    by submodularity). Stops early when no candidate adds anything.
    """
    w = np.asarray(weights, float)
    covered = np.zeros(matrix.n_demand, bool)
    chosen: list[int] = []
    gains: list[float] = []

    def take(j: int, gain: float) -> None:
        chosen.append(int(j))
        gains.append(float(gain))
        covered[matrix.row(j)] = True

    open_groups = [np.asarray(g, np.int64) for g in required]
    while open_groups and len(chosen) < k:
        g_all = matrix.gains(w, covered)
        best = [
            (float(g_all[grp].max()), -int(grp[np.argmax(g_all[grp])]), i)
            for i, grp in enumerate(open_groups)
            if len(grp)
        ]
        gain, neg_j, i = max(best)
        take(-neg_j, gain)
        open_groups = [
            grp for n, grp in enumerate(open_groups) if n != i and not np.isin(grp, chosen).any()
        ]

    start = matrix.gains(w, covered)
    taken = set(chosen)
    heap = [(-g, j) for j, g in enumerate(start) if g > 0 and j not in taken]
    heapq.heapify(heap)
    scale = max(float(start.max()) if len(start) else 0.0, 1.0)
    while heap and len(chosen) < k:
        _, j = heapq.heappop(heap)
        row = matrix.row(j)
        gain = float(w[row][~covered[row]].sum())
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12 * scale:
            heapq.heappush(heap, (-gain, j))  # stale: put back with its fresh gain
            continue
        take(j, gain)
    return chosen, gains


def exhaustive(matrix: CoverMatrix, weights: np.ndarray, k: int) -> tuple[tuple[int, ...], float]:
    """The best ``k``-subset by trying all of them (tests; tiny instances only)."""
    best, best_value = (), -1.0
    for subset in itertools.combinations(range(matrix.n_candidates), min(k, matrix.n_candidates)):
        value = matrix.value(subset, weights)
        if value > best_value + 1e-12:
            best, best_value = subset, value
    return best, best_value


def exact(
    matrix: CoverMatrix,
    weights: np.ndarray,
    k: int,
    *,
    required: Sequence[np.ndarray] = (),
    time_limit_s: float = 60.0,
) -> tuple[list[int], bool]:
    """The maximal-covering integer programme solved by CBC (PuLP): at most ``k`` candidates, at
    least one of each ``required`` group, maximising the covered weight.

    Demand with the same covering candidates is merged into one variable. Returns the chosen
    candidates and whether CBC proved them optimal (False: best found within ``time_limit_s``).
    """
    import pulp

    w = np.asarray(weights, float)
    g0 = matrix.gains(w)
    useful = set(np.flatnonzero(g0 > 0).tolist())
    for grp in required:
        useful |= set(np.asarray(grp).tolist())
    # demand -> covering candidates (transpose of the CSR), merged by identical covering sets
    cand_of = np.repeat(np.arange(matrix.n_candidates), np.diff(matrix.indptr))
    order = np.lexsort((cand_of, matrix.indices))
    dem_sorted, cand_sorted = matrix.indices[order], cand_of[order]
    cuts = np.flatnonzero(np.diff(dem_sorted)) + 1
    merged: dict[tuple[int, ...], float] = {}
    for d, cands in zip(np.split(dem_sorted, cuts), np.split(cand_sorted, cuts)):
        if len(d) and w[d[0]] > 0:
            key = tuple(cands.tolist())
            merged[key] = merged.get(key, 0.0) + float(w[d[0]])

    prob = pulp.LpProblem("max_covering", pulp.LpMaximize)
    x = {j: prob.add_variable(f"x{j}", cat="Binary") for j in sorted(useful)}
    y = [prob.add_variable(f"y{i}", lowBound=0, upBound=1) for i in range(len(merged))]
    prob += pulp.lpSum(weight * yi for (_, weight), yi in zip(merged.items(), y))
    prob += pulp.lpSum(x.values()) <= k
    for (cands, _), yi in zip(merged.items(), y):
        prob += yi <= pulp.lpSum(x[j] for j in cands)
    for grp in required:
        prob += pulp.lpSum(x[int(j)] for j in grp) >= 1
    with warnings.catch_warnings():  # PuLP 3.3 flags its bundled CBC for removal in 4.0 (pinned <4)
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    prob.solve(solver)
    if prob.status != pulp.LpStatusOptimal and prob.sol_status not in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        raise PlanError(
            [
                f"the exact solver found no solution within {time_limit_s:g} s "
                f"(status {pulp.LpStatus[prob.status]}); use the greedy solver"
            ]
        )
    chosen = [j for j, v in x.items() if (v.value() or 0) > 0.5]
    return chosen, prob.sol_status == pulp.LpSolutionOptimal


def solve(
    matrix: CoverMatrix,
    weights: np.ndarray,
    k: int,
    required: Sequence[np.ndarray],
    solver: str,
    time_limit_s: float,
    notes: list,
) -> tuple[list[int], bool | None, str]:
    """Chosen candidates, whether proven optimal (None for greedy) and the solver that chose them.

    "auto": the exact programme within ``time_limit_s``; when CBC runs out of time (or finds
    nothing) the lazy greedy runs too and the better answer is kept; a note says which.
    """
    if solver == "greedy":
        return greedy(matrix, weights, k, required=required)[0], None, "greedy"
    try:
        chosen, optimal = exact(matrix, weights, k, required=required, time_limit_s=time_limit_s)
        chosen = rank_chosen(matrix, weights, chosen, required, drop_idle=solver == "auto")
    except PlanError:
        if solver == "exact":
            raise
        chosen, optimal = None, False
    if solver == "exact" or optimal:
        if solver == "auto":
            notes.append(i18n.note("plan_auto_exact"))
        return chosen, optimal, "exact"
    fallback = greedy(matrix, weights, k, required=required)[0]
    if chosen is None or matrix.value(fallback, weights) > matrix.value(chosen, weights):
        notes.append(i18n.note("plan_auto_greedy", decimals=0, seconds=float(time_limit_s)))
        return fallback, None, "greedy"
    notes.append(i18n.note("plan_auto_best", decimals=0, seconds=float(time_limit_s)))
    return chosen, False, "exact"


def rank_chosen(
    matrix: CoverMatrix,
    weights: np.ndarray,
    chosen: list[int],
    required: Sequence[np.ndarray],
    *,
    drop_idle: bool = False,
) -> list[int]:
    """Order a chosen set as greedy would (required groups first), for meaningful ranks; with
    ``drop_idle`` leave out the chosen sites that add nothing after the others."""
    sub = CoverMatrix.from_pairs(
        np.concatenate([np.full(len(matrix.row(j)), i) for i, j in enumerate(chosen)] or [[]]),
        np.concatenate([matrix.row(j) for j in chosen] or [[]]),
        len(chosen),
        matrix.n_demand,
    )
    pos = {j: i for i, j in enumerate(chosen)}
    groups = [np.array([pos[j] for j in grp if j in pos]) for grp in required]
    order, _ = greedy(sub, weights, len(chosen), required=[g for g in groups if len(g)])
    rest = [] if drop_idle else [i for i in range(len(chosen)) if i not in order]
    return [chosen[i] for i in order + rest]
