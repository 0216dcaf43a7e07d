"""Hand-made edge cases for the single-source kernels (bfs, Bellman-Ford, and the extract-min
loop of Dijkstra and Prim): the longest possible run, exact ties, and keys closer than the
``1e9`` offset of extract-min can resolve. Random graphs (the golden and property tests) almost
never draw these; mutation testing found them unchecked (docs/MUTATION.md)."""

from __future__ import annotations

import numpy as np
import pytest

from dear.algorithms import get


def undirected(n: int, edges: dict[tuple[int, int], float]) -> np.ndarray:
    A = np.zeros((n, n))
    for (u, v), weight in edges.items():
        A[u, v] = A[v, u] = weight
    return A


def path(n: int) -> np.ndarray:
    """0 - 1 - ... - (n-1), unit weights: the source 0 has the largest possible eccentricity."""
    return undirected(n, {(i, i + 1): 1.0 for i in range(n - 1)})


def extraction_order(execution) -> list[int]:
    """The node each step of the extract-min loop handled (step 0: the source)."""
    return execution.hints["u"].argmax(-1).tolist()


def test_bfs_on_a_path_fills_every_row_of_its_hints() -> None:
    """From one end of a path, n - 1 levels lie below the source: T = n rounds, the most a bfs
    run takes, and row t of each hint is the state before round t + 1."""
    n = 6
    execution = get("bfs").kernel(path(n), 0)
    expected_pi_h = [[i - 1 if 1 <= i <= t else i for i in range(n)] for t in range(n)]
    np.testing.assert_array_equal(execution.hints["reach_h"], np.tril(np.ones((n, n))))
    np.testing.assert_array_equal(execution.hints["pi_h"], expected_pi_h)
    np.testing.assert_array_equal(execution.outputs["pi"], [0, 0, 1, 2, 3, 4])


@pytest.mark.parametrize(("algorithm", "steps"), [("bellman_ford", 6), ("dijkstra", 7)])
def test_shortest_paths_on_a_path_take_their_longest_run(algorithm: str, steps: int) -> None:
    """Bellman-Ford: n - 1 rounds that change a distance plus one to notice none did; Dijkstra:
    the source's step plus one extraction per node."""
    execution = get(algorithm).kernel(path(6), 0)
    assert all(len(hint) == steps for hint in execution.hints.values())
    np.testing.assert_array_equal(execution.outputs["pi"], [0, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(execution.hints["d"][-1], [0, 1, 2, 3, 4, 5])


@pytest.mark.parametrize("algorithm", ["dijkstra", "mst_prim"])
def test_ties_go_to_the_lowest_index_and_the_first_offer(algorithm: str) -> None:
    """A unit-weight square 0-1-3-2-0: nodes 1 and 2 tie (extract the lower index first), and 3
    gets equal offers from 1 and then 2 (a relaxation needs a strictly better key: 3 keeps 1)."""
    A = undirected(4, {(0, 1): 1.0, (0, 2): 1.0, (1, 3): 1.0, (2, 3): 1.0})
    execution = get(algorithm).kernel(A, 0)
    assert extraction_order(execution) == [0, 0, 1, 2, 3]
    np.testing.assert_array_equal(execution.outputs["pi"], [0, 0, 0, 1])


def test_extract_min_orders_keys_closer_than_its_queue_offset_resolves() -> None:
    """Queued keys compare as they are: 0.5 - 1e-9 is extracted before 0.5, although both are
    the same number once 1e9 is added (only nodes out of the queue get that offset)."""
    A = undirected(3, {(0, 1): 0.5, (0, 2): 0.5 - 1e-9})
    assert extraction_order(get("dijkstra").kernel(A, 0)) == [0, 0, 2, 1]
