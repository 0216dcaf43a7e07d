"""Input generators with CLRS-30's distributions (Erdős–Rényi graphs, uniform keys).

Every draw takes an explicit ``numpy.random.Generator`` so that sample ``i`` of a dataset
depends only on ``(seed, i)``: the same on any machine and for any number of workers.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from dear.algorithms import ArrayInputs, GraphInputs, get
from dear.algorithms._probes import graph, mask_one, node_positions

def er_graph(
    rng: np.random.Generator,
    n: int,
    p: float,
    *,
    directed: bool,
    weighted: bool,
    acyclic: bool = False,
    low: float = 0.0,
    high: float = 1.0,
) -> np.ndarray:
    """CLRS's ``_random_er_graph``: undirected graphs keep an edge only if both directions were
    drawn, and their weights are symmetrised as ``sqrt(w * w.T + 1e-3)``."""
    mat = (rng.random((n, n)) < p).astype(np.float64)
    if not directed:
        mat *= mat.T
    elif acyclic:
        perm = rng.permutation(n)
        mat = np.triu(mat, k=1)[perm][:, perm]
    if weighted:
        weights = rng.uniform(low, high, size=(n, n))
        if not directed:
            weights = np.sqrt(weights * weights.T + 1e-3)
        mat *= weights
    return mat


def community_graph(
    rng: np.random.Generator, n: int, p: float, *, k: int = 4, eps: float = 0.01
) -> np.ndarray:
    """CLRS's ``_random_community_graph`` (directed, unweighted): ``k`` dense ER blocks plus
    sparse toggles that never point from a later block to an earlier one. With fewer than
    ``k`` nodes (where CLRS refuses) every node is its own block."""
    k = min(k, n)
    bounds = [i * (n // k) for i in range(k)] + [n]
    mat = np.zeros((n, n))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        mat[lo:hi, lo:hi] = er_graph(rng, hi - lo, p, directed=True, weighted=False)
    toggle = er_graph(rng, n, eps, directed=True, weighted=False)
    block = np.searchsorted(bounds[1:], np.arange(n), side="right")
    toggle *= block[:, None] <= block[None, :]
    mat = np.where(toggle > 0.0, (1.0 - (mat > 0.0)) * toggle, mat)
    perm = rng.permutation(n)
    return mat[perm][:, perm]


@functools.lru_cache(maxsize=64)
def _edge_probabilities(p: float | tuple[float, ...]) -> tuple[float, ...]:
    """The validated choices of ``p``; cached, since every sample of a dataset asks again."""
    choices = np.asarray(p, dtype=np.float64).ravel()
    if choices.size == 0 or not np.all((choices >= 0) & (choices <= 1)):
        raise ValueError(f"edge probability p must be in [0, 1], got {p}")
    return tuple(float(c) for c in choices)


def _pick_p(rng: np.random.Generator, p: float | Sequence[float]) -> float:
    hashable = p if isinstance(p, (int, float, tuple)) else tuple(np.ravel(p).tolist())
    choices = _edge_probabilities(hashable)
    return choices[rng.integers(len(choices))] if len(choices) > 1 else choices[0]


def _topological_rank(edges: np.ndarray) -> np.ndarray:
    """Longest-path depth of each node of a DAG, so that every edge ``u -> v`` climbs."""
    depth = np.zeros(edges.shape[0], dtype=np.int64)
    while True:
        deeper = np.max(np.where(edges, depth[:, None] + 1, 0), axis=0)
        if np.array_equal(deeper, depth):
            return depth
        depth = deeper


def _connect(rng: np.random.Generator, A: np.ndarray, kind: GraphInputs, low: float, high: float) -> np.ndarray:
    """Add a random Hamiltonian path (over absent edges) so the graph is connected; for
    directed graphs it is weakly connected. Used when ``connected=True``."""
    n = A.shape[0]
    order = rng.permutation(n)
    if kind.weighted:  # the same distribution as er_graph's weights
        w = rng.uniform(low, high, size=(2, n - 1))
        weights = w[0] if kind.directed else np.sqrt(w[0] * w[1] + 1e-3)
    else:
        weights = np.ones(n - 1)
    u, v = order[:-1], order[1:]
    if kind.acyclic:  # keep the DAG acyclic: orient every new edge along a topological order
        rank = _topological_rank(A != 0) * n + np.arange(n)
        forward = rank[u] < rank[v]
        u, v = np.where(forward, u, v), np.where(forward, v, u)
    missing = A[u, v] == 0
    A[u[missing], v[missing]] = weights[missing]
    if not kind.directed:
        A[v[missing], u[missing]] = weights[missing]
    return A


def draw_graph_inputs(
    kind: GraphInputs,
    rng: np.random.Generator,
    n: int,
    *,
    p: float | Sequence[float] | None = None,
    low: float = 0.0,
    high: float = 1.0,
    connected: bool = False,
) -> dict[str, np.ndarray]:
    edge_p = _pick_p(rng, kind.p if p is None else p)
    if kind.community:
        A = community_graph(rng, n, edge_p)
    else:
        A = er_graph(
            rng, n, edge_p, directed=kind.directed, weighted=kind.weighted, acyclic=kind.acyclic,
            low=low, high=high,
        )
    if connected:
        A = _connect(rng, A, kind, low, high)
    inputs = {"pos": node_positions(n), "A": A, "adj": graph(A)}
    if kind.source:
        inputs["s"] = mask_one(int(rng.integers(n)), n)
    return inputs


def _bound(name: str, value: object) -> float:
    """A real number: NumPy would broadcast a list of bounds into arrays of draws."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def draw_array_inputs(
    kind: ArrayInputs, rng: np.random.Generator, n: int, *, low: float | None = None, high: float | None = None
) -> dict[str, np.ndarray]:
    """Uniform keys in the kind's range unless given; sorted keys and a uniform target for binary
    search (CLRS's sampler, with DEAR's swap of a too-large target for ``binary_search_fixed``)."""
    low, high = kind.low if low is None else low, kind.high if high is None else high
    key = rng.uniform(_bound("low", low), _bound("high", high), size=n)
    inputs = {"pos": node_positions(n), "key": key}
    if kind.sorted_keys:
        key.sort()
    if kind.target:
        inputs["target"] = np.float64(rng.uniform(low, high))
        if kind.target_within_keys and inputs["target"] > key[-1]:
            # DEAR's fix: a target above every key has no answer, so swap it with the largest
            # key; the keys stay sorted and the answer is the last node.
            inputs["target"], key[-1] = key[-1], inputs["target"]
    return inputs


def draw_inputs(algorithm: str, rng: np.random.Generator, n: int, **options: object) -> dict[str, np.ndarray]:
    """CLRS-named inputs of one random instance of ``algorithm`` with ``n`` nodes."""
    kind = get(algorithm).inputs
    try:
        if isinstance(kind, GraphInputs):
            return draw_graph_inputs(kind, rng, n, **options)
        if isinstance(kind, ArrayInputs):
            return draw_array_inputs(kind, rng, n, **options)
        return kind.draw(rng, n, **options)  # an algorithm's own kind of input
    # An unknown option (TypeError), or a value NumPy rejects (e.g. p="x", low=nan, low > high).
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"bad generator option for {algorithm}: {error}") from None
