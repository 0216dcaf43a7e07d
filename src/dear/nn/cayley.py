"""Cayley graphs of SL(2, Z_p): sparse 4-regular expanders of any size (for CGP).

The group has ``p (p² - 1)`` elements; a graph of ``n`` nodes gets the smallest prime ``p`` whose
group is big enough, for any ``n`` (published code stopped at ``p = 5``, i.e. 120 nodes). Its
``n`` real nodes take the first ``n`` group elements in breadth-first order from the identity
(a connected ball) and the rest become virtual nodes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch


def group_order(p: int) -> int:
    """``|SL(2, Z_p)| = p (p² - 1)``."""
    return p * (p * p - 1)


def _is_prime(k: int) -> bool:
    return k >= 2 and all(k % d for d in range(2, int(k**0.5) + 1))


@lru_cache(maxsize=None)
def cayley_prime(n: int) -> int:
    """Smallest prime ``p`` with ``|SL(2, Z_p)| >= n``."""
    p = 2
    while not _is_prime(p) or group_order(p) < n:
        p += 1
    return p


def generators(p: int) -> np.ndarray:
    """``[[1,1],[0,1]]``, ``[[1,p-1],[0,1]]``, ``[[1,0],[1,1]]``, ``[[1,0],[p-1,1]]``: two
    unipotents and their inverses, so the Cayley graph is undirected."""
    return np.array([[[1, 1], [0, 1]], [[1, p - 1], [0, 1]], [[1, 0], [1, 1]], [[1, 0], [p - 1, 1]]])


def _keys(matrices: np.ndarray, p: int) -> np.ndarray:
    """One integer per 2x2 matrix over Z_p (its entries as base-``p`` digits)."""
    a, b, c, d = (matrices[..., i, j].astype(np.int64) for i in (0, 1) for j in (0, 1))
    return ((a * p + b) * p + c) * p + d


def _step(matrices: np.ndarray, p: int) -> np.ndarray:
    """``[M, 4, 2, 2]``: every matrix right-multiplied by every generator, mod ``p``."""
    return (matrices[:, None] @ generators(p)[None]) % p


@lru_cache(maxsize=None)
def group_elements(p: int) -> np.ndarray:
    """The ``p (p² - 1)`` elements ``[M, 2, 2]`` in breadth-first order from the identity, one
    vectorised step per BFS level (a level's new elements are sorted by key)."""
    frontier = np.eye(2, dtype=np.int64)[None]
    levels, seen = [frontier], _keys(frontier, p)
    while len(frontier):
        candidates = _step(frontier, p).reshape(-1, 2, 2)
        keys, first = np.unique(_keys(candidates, p), return_index=True)
        new = ~np.isin(keys, seen, assume_unique=True)
        frontier = candidates[first[new]]
        levels.append(frontier)
        seen = np.union1d(seen, keys[new])
    return np.concatenate(levels)


@lru_cache(maxsize=None)
def cayley_edges(p: int) -> torch.Tensor:
    """Edges ``[2, 4 |G|]`` (sender, receiver) ``x -> x g`` for every element ``x`` and generator
    ``g``, over the element ids of :func:`group_elements`."""
    elements = group_elements(p)
    keys = _keys(elements, p)
    order = np.argsort(keys)
    targets = order[np.searchsorted(keys[order], _keys(_step(elements, p), p))]
    senders = np.repeat(np.arange(len(elements)), 4)
    return torch.from_numpy(np.stack([senders, targets.reshape(-1)]))


def batched_cayley_edges(batch: torch.Tensor, num_graphs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cayley edges of every graph of a batch (``batch`` sorted by graph, as PyG's), over the
    ``N`` real nodes followed by the virtual ones (graph by graph, from row ``N``), and the
    graph of each virtual node ``[V]``."""
    counts = torch.bincount(batch, minlength=num_graphs)
    primes = torch.tensor([cayley_prime(n) for n in counts.tolist()], device=batch.device)
    virtual = primes * (primes * primes - 1) - counts
    real_start = torch.cumsum(counts, 0) - counts
    virtual_start = batch.shape[0] + torch.cumsum(virtual, 0) - virtual
    parts = []
    for p in primes.unique().tolist():
        graphs = (primes == p).nonzero().squeeze(1)
        vertex = torch.arange(group_order(p), device=batch.device)[None]
        n = counts[graphs, None]
        real_id, virtual_id = real_start[graphs, None] + vertex, virtual_start[graphs, None] + vertex - n
        ids = torch.where(vertex < n, real_id, virtual_id)
        parts.append(ids[:, cayley_edges(p).to(batch.device)].transpose(0, 1).reshape(2, -1))
    virtual_batch = torch.repeat_interleave(torch.arange(num_graphs, device=batch.device), virtual)
    return torch.cat(parts, dim=1), virtual_batch
