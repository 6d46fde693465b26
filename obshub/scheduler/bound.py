"""An upper bound on any plan's value: a time-bucketed LP relaxation solved to optimality.

Cut each telescope's night into buckets (15 grid steps by default; finer is tighter and slower). Any real plan puts unit u on
telescope k over [s, s+L); let f[u,k,b] be the fraction of the block inside bucket b. Then
Σ_{k,b} f ≤ 1 per unit, Σ_u L_u f[u,k,b] ≤ free time of (k, b), and f[u,k,b] is at most the
share of bucket b that some observable placement of u on k can reach. Relaxing f to real
numbers gives a linear programme whose optimum bounds every plan's Σ value (what it drops:
non-overlap inside a bucket and the contiguity of blocks). HiGHS (via SciPy) solves it exactly.
"""

from __future__ import annotations

import numpy as np

from obshub.scheduler.problem import Problem


def upper_bound(problem: Problem, *, bucket_steps: int = 15, use_weight: bool = False) -> float:
    """The LP bound on Σ value (or Σ weight) of any valid plan of ``problem``."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    p = problem
    nb = int(np.ceil(p.grid.n / bucket_steps))
    free = ~p.static_busy  # (K, n)
    free_steps = np.add.reduceat(
        free.astype(np.int64), np.arange(0, p.grid.n, bucket_steps), axis=1
    )
    cols_u, cols_kb, caps, obj, lens = [], [], [], [], []
    for ui, un in enumerate(p.units):
        if un.excluded is not None:
            continue
        req = p.request(un)
        for k in np.nonzero(p.capable[un.req])[0]:
            js = p.unit_starts(un, int(k))
            if len(js) == 0:
                continue
            reach = np.zeros(p.grid.n + 1, dtype=np.int64)
            np.add.at(reach, js, 1)
            np.add.at(reach, np.minimum(js + un.length, p.grid.n), -1)
            covered = np.cumsum(reach)[: p.grid.n] > 0
            per_b = np.add.reduceat(covered.astype(np.int64), np.arange(0, p.grid.n, bucket_steps))
            for b in np.nonzero(per_b)[0]:
                cols_u.append(ui)
                cols_kb.append(int(k) * nb + int(b))
                caps.append(min(1.0, per_b[b] / un.length))
                # a together unit is `together` blocks: each carries its share of the value
                obj.append((un.weight if use_weight else un.value) / req.together)
                lens.append(un.length)
    n = len(obj)
    if n == 0:
        return 0.0
    cols = np.arange(n)
    uniq_u, row_u = np.unique(np.array(cols_u), return_inverse=True)
    uniq_kb, row_kb = np.unique(np.array(cols_kb), return_inverse=True)
    a_u = coo_matrix((np.ones(n), (row_u, cols)), shape=(len(uniq_u), n))
    a_kb = coo_matrix((np.array(lens, dtype=float), (row_kb, cols)), shape=(len(uniq_kb), n))
    from scipy.sparse import vstack

    a = vstack([a_u, a_kb]).tocsr()
    cap_kb = np.array([free_steps[kb // nb, kb % nb] for kb in uniq_kb], dtype=float)
    per_unit = np.array([p.request(p.units[ui]).together for ui in uniq_u], dtype=float)
    b_ub = np.concatenate([per_unit, cap_kb])
    res = linprog(
        -np.array(obj),
        A_ub=a,
        b_ub=b_ub,
        bounds=np.stack([np.zeros(n), np.array(caps)], axis=1),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"bound LP failed: {res.message}")
    return float(-res.fun)
