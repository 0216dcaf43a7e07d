"""Is an answer right? Structural validity and tie-aware correctness of a reasoner's answer.

A predicted answer can fail in two ways: it is not an answer at all (a node of a shortest-path
tree pointing to itself, a cycle of parents, flagged edges closing a cycle), or it is an answer
but a wrong one. :func:`structure` tells the first; :func:`tie_aware_check` tells both, counting
a pointer as correct when it is *a* correct choice (any shortest-path parent, any parent along
an edge of some minimum spanning tree, ...). Comparing with the one answer the exact algorithm
happens to pick would mark a valid answer wrong wherever lengths or weights tie. References
come from networkx; no torch, so the checker also backs tests of anything that produces answers.

What a valid answer is, per algorithm (pointers as CLRS-30 writes them):

- ``bfs``, ``bellman_ford``, ``dijkstra``, ``dag_shortest_paths`` (``pi``) and ``mst_prim``
  (``pi``): a tree rooted at the source over the nodes reachable from it, every tree pointer
  along an edge of the graph, the source and the unreachable nodes pointing to themselves;
  correct pointers are shortest-path parents (within ``rtol`` on path lengths) or parents along
  an edge of some minimum spanning tree.
- ``dfs`` (``pi``): a forest along edges whose trees hold the nodes a depth-first search from
  the roots in node order reaches (whatever the order it takes neighbours in); roots point to
  themselves. Its answer has no ties (the node order fixes it), so a pointer is correct when it
  is the one of CLRS's DFS (neighbours in node order); ``optimal`` says whether the forest is a
  DFS forest for *some* neighbour order.
- ``strongly_connected_components_local`` (``scc_id``): one tree per strongly connected
  component, a node pointing along one of its out-edges into its own component, the root (the
  component's last finisher in the first DFS, as Kosaraju's second pass picks it) to itself;
  ``strongly_connected_components``: every node points to its component's root.
- ``floyd_warshall`` (``Pi``): row ``i`` is a shortest-path tree rooted at ``i``; unreachable
  nodes point to ``i``.
- ``insertion_sort`` (``pred``): one chain through all nodes, the first pointing to itself;
  correct pointers are a predecessor in some sorted order (equal keys in any order).
- ``minimum`` (``min``), ``binary_search(_fixed)`` (``return``): one node, always valid; correct
  when its key is the minimum / the smallest key ``>= target`` (the last node if none is).
- ``mst_kruskal`` (``in_mst``, a mask on edges): read as undirected edges (a flag either way;
  the two directions must agree), a spanning forest of the graph: graph edges only, no cycle,
  every connected component spanned (``n - #components`` edges); correct edges lie in some
  minimum spanning forest.
- ``topological_sort`` (``topo``: each node's successor, the last node pointing to itself;
  ``topo_head``: the first node): one chain through all nodes, starting at the head, that every
  arc ``u -> v`` runs forward along. Any such order is right; ``correct`` is the share of arcs
  the chain's order respects.
- ``articulation_points`` (``is_cut``) and ``bridges`` (``is_bridge``): any set of nodes, or of
  graph edges flagged both ways alike, is well formed, and deciding whether it is the right
  one *is* solving: :func:`structure` says ``None`` (unchecked) unless an edge flag is off the
  graph or one-way; :func:`tie_aware_check` compares with networkx's ``articulation_points`` /
  ``bridges``.

Graphs are read as solved: an undirected edge goes both ways, parallel edges count as the
lightest one, self-loops are ignored, an edge without a ``weight`` weighs 1, and unweighted
algorithms (bfs, dfs, scc) ignore weights.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import networkx as nx
import numpy as np

from dear.algorithms import REGISTRY, Algorithm, Answer, get
from dear.errors import shown

#: The (main) output probe each checked algorithm answers with: every algorithm whose answer
#: the records describe.
CHECKED: dict[str, str] = {name: r.output for name, r in REGISTRY.items() if r.answer is not None}
ROOTED_TREES = (Answer.SHORTEST_PATH_TREE, Answer.SPANNING_TREE)
#: Answers that are sets (a mask on nodes or edges), not pointers.
SETS = (Answer.MST_EDGES, Answer.CUT_EDGES, Answer.CUT_NODES)
#: What :func:`structure` says of a well-formed set that only the exact set can judge.
UNCHECKED_SET = "a set of {} has no structure to check; check=True compares it with the exact set"
#: Relative tolerance within which path lengths and weights count as tied.
RTOL = 1e-6


# --- graphs as index arrays ---------------------------------------------------------------------

@dataclass(frozen=True)
class Edges:
    """A graph on nodes ``0..n-1`` as arcs ``senders[k] -> receivers[k]``: each directed pair
    once (an undirected edge both ways), sorted, without self-loops."""

    num_nodes: int
    senders: np.ndarray
    receivers: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, num_nodes: int, senders: Any, receivers: Any, weights: Any = None) -> Edges:
        """Canonical arcs: self-loops dropped, parallel arcs merged into the lightest."""
        s = np.asarray(senders, dtype=np.int64).ravel()
        r = np.asarray(receivers, dtype=np.int64).ravel()
        w = np.ones(s.size) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
        keep = s != r
        s, r, w = s[keep], r[keep], w[keep]
        order = np.lexsort((w, s * num_nodes + r))  # by pair, lightest first
        key = (s * num_nodes + r)[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        order = order[first]
        return cls(num_nodes, s[order], r[order], w[order])

    @property
    def keys(self) -> np.ndarray:
        return self.senders * self.num_nodes + self.receivers

    def find(self, senders: Any, receivers: Any) -> np.ndarray:
        """Position of each arc ``senders -> receivers`` in the arrays, -1 where it is not an arc."""
        keys = self.keys
        wanted = np.asarray(senders, dtype=np.int64) * self.num_nodes + np.asarray(receivers, dtype=np.int64)
        if keys.size == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
        return np.where(keys[at] == wanted, at, -1)

    def has(self, senders: np.ndarray, receivers: np.ndarray) -> np.ndarray:
        return self.find(senders, receivers) >= 0

    def out_neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR ``(indptr, indices)``: node ``u``'s out-neighbours, in node order."""
        indptr = np.zeros(self.num_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.senders, minlength=self.num_nodes), out=indptr[1:])
        return indptr, self.receivers

    def digraph(self) -> nx.DiGraph:
        """The arcs as a networkx DiGraph on ``0..n-1``, neighbours in node order."""
        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.num_nodes))
        graph.add_weighted_edges_from(zip(self.senders.tolist(), self.receivers.tolist(), self.weights.tolist()))
        return graph


def graph_edges(graph: nx.Graph, weighted: bool = True) -> tuple[Edges, list]:
    """The arcs of a networkx graph over its node positions, and its nodes in that order."""
    if not isinstance(graph, nx.Graph):
        raise ValueError(f"expected a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    triples = list(graph.edges(data="weight", default=1.0))
    senders = [index[u] for u, _, _ in triples]
    receivers = [index[v] for _, v, _ in triples]
    try:
        weights = np.array([float(w) for _, _, w in triples] if weighted else np.ones(len(triples)), dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("edge weights must be real numbers") from None
    if not graph.is_directed():
        senders, receivers = senders + receivers, receivers + senders
        weights = np.concatenate([weights, weights])
    return Edges.of(len(nodes), senders, receivers, weights), nodes


def reachable(edges: Edges, source: int) -> np.ndarray:
    """Which nodes a path from ``source`` reaches (the source included)."""
    indptr, indices = edges.out_neighbours()
    seen = np.zeros(edges.num_nodes, dtype=bool)
    seen[source] = True
    queue = deque([source])
    while queue:
        u = queue.popleft()
        around = indices[indptr[u]:indptr[u + 1]]
        new = around[~seen[around]]
        seen[new] = True
        queue.extend(new.tolist())
    return seen


def dfs_trees(edges: Edges) -> np.ndarray:
    """The root of each node's tree in a depth-first search from the roots in node order: the
    first node from which it is reachable. Any DFS visiting roots in that order (whatever its
    neighbour order) has these trees: a node reachable from an earlier root is visited in it."""
    indptr, indices = edges.out_neighbours()
    tree = np.full(edges.num_nodes, -1, dtype=np.int64)
    for root in range(edges.num_nodes):
        if tree[root] >= 0:
            continue
        tree[root] = root
        queue = deque([root])
        while queue:
            u = queue.popleft()
            around = indices[indptr[u]:indptr[u + 1]]
            new = around[tree[around] < 0]
            tree[new] = root
            queue.extend(new.tolist())
    return tree


def components(edges: Edges) -> np.ndarray:
    """Strongly connected component of each node, numbered by its smallest node."""
    label = np.empty(edges.num_nodes, dtype=np.int64)
    for members in nx.strongly_connected_components(edges.digraph()):
        members = list(members)
        label[members] = min(members)
    return label


def component_roots(edges: Edges) -> np.ndarray:
    """Each node's component root in CLRS's Kosaraju: the component's last finisher of a DFS
    from the roots in node order, neighbours in node order."""
    finish = np.empty(edges.num_nodes, dtype=np.int64)
    finish[list(nx.dfs_postorder_nodes(edges.digraph()))] = np.arange(edges.num_nodes)
    label = components(edges)
    root = {}
    for v in np.argsort(finish):  # the last finisher of a component overwrites the others
        root[label[v]] = v
    return np.array([root[c] for c in label], dtype=np.int64)


def pointer_roots(pointer: np.ndarray) -> np.ndarray:
    """The node each chain of pointers ends at (a node pointing to itself), or -1 where the
    chain runs into a cycle; by pointer doubling, ``O(n log n)``."""
    jump = pointer.copy()
    for _ in range(max(int(pointer.size).bit_length(), 1) + 1):
        jump = jump[jump]
    return np.where(pointer[jump] == jump, jump, -1)


def path_sums(pointer: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Sum of ``step`` along each node's chain of pointers to its root (``step`` of a root is
    ignored); chains must end at roots."""
    n = pointer.size
    total = np.where(pointer == np.arange(n), 0.0, step)
    jump = pointer.copy()
    for _ in range(max(int(n).bit_length(), 1) + 1):
        total = total + np.where(jump == np.arange(n), 0.0, total[jump])
        jump = jump[jump]
    return total


def in_some_mst(edges: Edges, rtol: float = RTOL) -> np.ndarray:
    """Per arc: is its edge in some minimum spanning forest? By the cycle property, an edge
    is, unless its ends are joined by edges strictly lighter (beyond ``rtol``)."""
    parent = list(range(edges.num_nodes))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = np.argsort(edges.weights, kind="stable")
    s, r, w = edges.senders[order].tolist(), edges.receivers[order].tolist(), edges.weights[order].tolist()
    inside = np.zeros(order.size, dtype=bool)
    start = 0
    while start < len(w):
        stop = start
        while stop < len(w) and w[stop] <= w[start] * (1 + rtol):
            stop += 1
        for k in range(start, stop):
            inside[order[k]] = find(s[k]) != find(r[k])
        for k in range(start, stop):
            parent[find(s[k])] = find(r[k])
        start = stop
    return inside


# --- answers ------------------------------------------------------------------------------------

def _label(nodes: Sequence | None, i: int) -> str:
    return shown(nodes[i], 30) if nodes is not None else str(int(i))


def _some(mask: np.ndarray, what: str, example: Any) -> str:
    k = int(mask.sum())
    first = int(np.flatnonzero(mask)[0])
    return f"{k} {what} (e.g. {example(first)})"


def _position(index: dict, label: Any) -> int:
    """The position of node ``label``, -1 where it is no node."""
    try:
        return index.get(label.item() if isinstance(label, (np.generic, np.ndarray)) else label, -1)
    except (TypeError, ValueError):  # an unhashable label (or a longer array) is no node
        return -1


def _probe_value(probe: str, outputs: Any) -> Any:
    """``outputs[probe]`` of solve's result, or ``outputs`` when it is the answer itself."""
    return outputs[probe] if isinstance(outputs, Mapping) and probe in outputs else outputs


def _pointer_array(algorithm: str, outputs: Any, nodes: list) -> np.ndarray:
    """The answer as node positions (-1 where a label is not a node): ``outputs`` is solve's
    result, ``{node: parent}`` (``{i: {j: parent}}`` for floyd_warshall, ``{node: successor}``
    for a topological order), or labels in node order (rows of them for floyd_warshall)."""
    value = _probe_value(CHECKED[algorithm], outputs)
    index = {node: i for i, node in enumerate(nodes)}
    position = lambda label: _position(index, label)  # noqa: E731

    if isinstance(value, Mapping) and get(algorithm).answer is Answer.ALL_PAIRS_TREES:  # {i: {j: parent}}
        rows = [value.get(node) for node in nodes]
        return np.array([[position(row[j]) if isinstance(row, Mapping) and j in row else -1 for j in nodes]
                         for row in rows], dtype=np.int64).reshape(len(nodes), len(nodes))
    if isinstance(value, Mapping):
        return np.array([position(value[node]) if node in value else -1 for node in nodes], dtype=np.int64)
    if isinstance(value, np.ndarray):
        shape, flat = value.shape, (list(value.ravel()) if value.dtype == object else value.ravel().tolist())
    elif get(algorithm).answer is Answer.ALL_PAIRS_TREES:
        rows = [list(row) for row in value]
        shape, flat = (len(rows), len(rows[0]) if rows else 0), [label for row in rows for label in row]
    elif isinstance(value, (list, tuple)):
        shape, flat = (len(value),), list(value)
    else:
        shape, flat = (), [value]
    return np.array([position(label) for label in flat], dtype=np.int64).reshape(shape)


def _head_position(algorithm: str, outputs: Any, nodes: list) -> int | None:
    """The position of the node a chain answer names as its first (-1: no node; None: not named,
    or no such answer): solve's result holds it as a node, the exact run as a one-hot."""
    probe = REGISTRY[algorithm].head
    if probe is None or not (isinstance(outputs, Mapping) and probe in outputs):
        return None
    value = outputs[probe]
    if isinstance(value, np.ndarray) and value.shape == (len(nodes),):
        return int(np.argmax(value))
    return _position({node: i for i, node in enumerate(nodes)}, value)


def _mask_array(algorithm: str, outputs: Any, nodes: list) -> np.ndarray:
    """A set answer as flags, ``[n]`` on nodes or ``[n, n]`` on node pairs: ``outputs`` is solve's
    result, ``{node: flag}`` / ``{u: {v: flag}}``, or flags in node order (an ``n x n`` array on
    edges); a flag is a true value (or a number above 0.5, as CLRS's -1 off the edges is not)."""
    n = len(nodes)
    shape = (n,) if get(algorithm).answer is Answer.CUT_NODES else (n, n)
    value = _probe_value(CHECKED[algorithm], outputs)
    if not isinstance(value, Mapping):
        flags = np.asarray(value, dtype=np.float64)
        if flags.shape != shape:
            raise ValueError(f"expected flags of shape {shape} (in node order), got {flags.shape}")
        return flags > 0.5
    index = {node: i for i, node in enumerate(nodes)}
    if len(shape) == 1:
        flagged = [(node,) for node, flag in value.items() if float(flag) > 0.5]
    else:
        flagged = [(u, v) for u, row in value.items() for v, flag in row.items() if float(flag) > 0.5]
    flags = np.zeros(shape, dtype=bool)
    for key in flagged:
        at = tuple(_position(index, label) for label in key)
        stray = [label for label, i in zip(key, at) if i < 0]
        if stray:
            raise ValueError(f"the answer flags {shown(stray[0])}, which is not a node of the graph")
        flags[at] = True
    return flags


def _answer_arrays(algorithm: str, outputs: Any, nodes: list) -> tuple[np.ndarray, int | None]:
    """The answer on node positions, as :func:`pointer_structure` reads it: pointers or flags,
    and the first node a chain names."""
    if get(algorithm).answer in SETS:
        return _mask_array(algorithm, outputs, nodes), None
    return _pointer_array(algorithm, outputs, nodes), _head_position(algorithm, outputs, nodes)


def _tree_problems(pointer: np.ndarray, root: int, reach: np.ndarray, edges: Edges, nodes: list | None,
                   unreachable_to_root: bool = False, what: str = "the source") -> list[str]:
    """What keeps ``pointer`` from being a tree rooted at ``root`` over ``reach`` along arcs."""
    n = pointer.size
    idx = np.arange(n)
    name = lambda i: _label(nodes, i)  # noqa: E731
    problems = []
    if pointer[root] != root:
        problems.append(f"{what} {name(root)} points to {name(pointer[root])}, not to itself")
    expected = np.full(n, root) if unreachable_to_root else idx
    stray = ~reach & (pointer != expected) & (idx != root)
    if stray.any():
        where = "to the root" if unreachable_to_root else "to themselves"
        problems.append(_some(stray, f"unreachable node(s) point elsewhere than {where}",
                              lambda i: f"{name(i)} -> {name(pointer[i])}"))
    lazy = reach & (pointer == idx) & (idx != root)
    if lazy.any():
        problems.append(_some(lazy, "reachable node(s) point to themselves, outside the tree", name))
    tree = reach & (pointer != idx) & (idx != root)
    off_edge = tree & ~edges.has(pointer, idx)
    if off_edge.any():
        problems.append(_some(off_edge, "pointer(s) along no edge of the graph", lambda i: f"{name(i)} -> {name(pointer[i])}"))
    ends = pointer_roots(pointer)
    lost = tree & (ends != root) & ~off_edge
    if lost.any():
        problems.append(_some(lost, f"reachable node(s) do not lead back to {what}",
                              lambda i: name(i) + (", in a cycle" if ends[i] < 0 else "")))
    return problems


def pointer_structure(algorithm: str, edges: Edges | None, source: int | None, pointer: np.ndarray,
                      nodes: list | None = None, *, head: int | None = None) -> tuple[bool | None, str | None]:
    """Structural validity of an answer given on node positions (see the module docstring):
    ``pointer`` holds node positions, or flags for a set (``[n]`` on nodes, ``[n, n]`` on node
    pairs); ``edges`` is the graph (None for array algorithms), ``source`` the source's position,
    ``head`` the position a chain answer names as its first node (None: not named). ``valid``
    is None, with :data:`UNCHECKED_SET` as the problem, for a well-formed set that only the exact
    set can judge."""
    answer = _checked(algorithm).answer
    if answer in SETS:
        return _set_structure(answer, edges, np.asarray(pointer, dtype=np.float64) > 0.5, nodes)
    pointer = np.asarray(pointer, dtype=np.int64)
    n = edges.num_nodes if edges is not None else (len(nodes) if nodes is not None else pointer.size)
    if (pointer < 0).any() or (pointer >= n).any() or (head is not None and not 0 <= head < n):
        return False, "the answer names something that is not a node"
    if answer in (Answer.MINIMUM, Answer.SEARCH):
        return True, None
    if answer is Answer.SORTED_CHAIN:
        problems = _chain_problems(pointer, nodes, "predecessor")
    elif answer is Answer.TOPOLOGICAL_ORDER:
        problems = _order_problems(pointer, head, edges, nodes)
    elif answer in ROOTED_TREES:
        problems = _tree_problems(pointer, source, reachable(edges, source), edges, nodes)
    elif answer is Answer.ALL_PAIRS_TREES:
        problems = []
        for i in range(n):
            row = _tree_problems(pointer[i], i, reachable(edges, i), edges, nodes, unreachable_to_root=True,
                                 what="row root")
            if row:
                problems.append(f"row {_label(nodes, i)}: {row[0]}")
        if problems:
            problems = [f"{len(problems)} of {n} rows are not shortest-path trees; {problems[0]}"]
    elif answer is Answer.DFS_FOREST:
        problems = _forest_problems(pointer, dfs_trees(edges), edges, nodes, reverse=False)
    elif answer is Answer.COMPONENT_TREES:
        label = components(edges)
        roots = np.zeros(n, dtype=np.int64)
        np.add.at(roots, label, pointer == np.arange(n))
        problems = []
        if (roots[np.unique(label)] != 1).any():
            bad = np.unique(label)[roots[np.unique(label)] != 1]
            problems.append(f"{bad.size} component(s) have {roots[bad[0]]} roots, not 1 (e.g. the one of "
                            f"{_label(nodes, bad[0])})")
        problems += _forest_problems(pointer, None, edges, nodes, reverse=True, label=label)
    else:  # Answer.COMPONENT_ROOTS
        label = components(edges)
        # label is the smallest member, so pointer[label] is one member's choice of root
        wrong = (label[pointer] != label) | (pointer[pointer] != pointer) | (pointer != pointer[label])
        problems = [_some(wrong, "node(s) do not point to their component's one root",
                          lambda i: _label(nodes, i))] if wrong.any() else []
    return (not problems), ("; ".join(problems) or None)


def _forest_problems(pointer: np.ndarray, tree: np.ndarray | None, edges: Edges, nodes: list | None, *,
                     reverse: bool, label: np.ndarray | None = None) -> list[str]:
    """What keeps ``pointer`` from being a forest along arcs (``reverse``: ``v -> pointer[v]``)
    with roots ``tree`` (dfs) or one tree per ``label`` group (scc)."""
    n = pointer.size
    idx = np.arange(n)
    name = lambda i: _label(nodes, i)  # noqa: E731
    problems = []
    group = tree if tree is not None else label
    if tree is not None:
        extra, missing = (pointer == idx) & (tree != idx), (pointer != idx) & (tree == idx)
        if extra.any():
            problems.append(_some(extra, "node(s) point to themselves though an earlier root reaches them",
                                  lambda i: f"{name(i)}, from {name(tree[i])}"))
        if missing.any():
            problems.append(_some(missing, "root(s) of a DFS in node order (reached from no earlier node) do not "
                                           "point to themselves", name))
    child = pointer != idx
    arc = edges.has(idx, pointer) if reverse else edges.has(pointer, idx)
    off_edge = child & ~arc
    if off_edge.any():
        problems.append(_some(off_edge, "pointer(s) along no edge of the graph", lambda i: f"{name(i)} -> {name(pointer[i])}"))
    across = child & arc & (group[pointer] != group)
    if across.any():
        problems.append(_some(across, "pointer(s) leave their " + ("tree" if tree is not None else "component"),
                              lambda i: f"{name(i)} -> {name(pointer[i])}"))
    cycle = pointer_roots(pointer) < 0
    if cycle.any():
        problems.append(_some(cycle, "node(s) lead into a cycle", name))
    return problems


def _chain_problems(pointer: np.ndarray, nodes: list | None, role: str) -> list[str]:
    """What keeps ``pointer`` from being one chain: each node the ``role`` (predecessor or
    successor) of at most one, one end pointing to itself, no cycle."""
    n = pointer.size
    heads = np.flatnonzero(pointer == np.arange(n))
    problems = []
    if heads.size != 1:
        problems.append(f"{heads.size} nodes point to themselves, not 1")
    counts = np.bincount(pointer[pointer != np.arange(n)], minlength=n)
    if (counts > 1).any():
        problems.append(_some(counts > 1, f"node(s) are the {role} of several", lambda i: _label(nodes, i)))
    if heads.size >= 1 and (pointer_roots(pointer) < 0).any():
        problems.append(_some(pointer_roots(pointer) < 0, "node(s) lead into a cycle", lambda i: _label(nodes, i)))
    return problems


def _chain_ranks(pointer: np.ndarray) -> np.ndarray:
    """Each node's place in one chain of successor pointers (the last pointing to itself)."""
    n = pointer.size
    return n - 1 - path_sums(pointer, np.ones(n)).astype(np.int64)


def chain_order(pointer: Any) -> np.ndarray | None:
    """The nodes of one chain of successor pointers (the last pointing to itself), first to
    last; None when ``pointer`` is not one chain through every node."""
    pointer = np.asarray(pointer, dtype=np.int64)
    if (pointer < 0).any() or (pointer >= pointer.size).any() or _chain_problems(pointer, None, "successor"):
        return None
    return np.argsort(_chain_ranks(pointer))


def _order_problems(pointer: np.ndarray, head: int | None, edges: Edges, nodes: list | None) -> list[str]:
    """What keeps ``pointer`` (successors) and ``head`` from being a topological order of ``edges``."""
    problems = _chain_problems(pointer, nodes, "successor")
    if problems:
        return problems
    rank = _chain_ranks(pointer)
    first = int(np.argmin(rank))
    name = lambda i: _label(nodes, i)  # noqa: E731
    if head is not None and head != first:
        problems.append(f"the head is {name(head)}, but the chain starts at {name(first)}")
    back = rank[edges.senders] > rank[edges.receivers]
    if back.any():
        problems.append(_some(back, "arc(s) run against the order",
                              lambda k: f"{name(edges.senders[k])} -> {name(edges.receivers[k])}"))
    return problems


def _set_structure(answer: Answer, edges: Edges, flags: np.ndarray,
                   nodes: list | None) -> tuple[bool | None, str | None]:
    """A set of nodes is always well formed; flags on node pairs must lie on the graph's edges,
    both directions alike, and an MST's must make a spanning forest."""
    if answer is Answer.CUT_NODES:
        return None, UNCHECKED_SET.format("nodes")
    problems = _edge_flag_problems(edges, flags, nodes)
    if answer is Answer.MST_EDGES:
        problems += _spanning_forest_problems(edges, flags, nodes)
    if problems:
        return False, "; ".join(problems)
    return (True, None) if answer is Answer.MST_EDGES else (None, UNCHECKED_SET.format("edges"))


def _edge_flag_problems(edges: Edges, flags: np.ndarray, nodes: list | None) -> list[str]:
    """Flags on pairs that are no edge, and edges flagged one way only."""
    n = edges.num_nodes
    on_graph = np.zeros((n, n), dtype=bool)
    on_graph[edges.senders, edges.receivers] = True
    pair = lambda k: f"({_label(nodes, k // n)}, {_label(nodes, k % n)})"  # noqa: E731
    problems = []
    stray = flags & ~on_graph
    if stray.any():
        problems.append(_some(stray.ravel(), "flag(s) on no edge of the graph", pair))
    one_way = flags & on_graph & ~flags.T
    if one_way.any():
        problems.append(_some(one_way.ravel(), "edge(s) flagged one way only", pair))
    return problems


def _flagged_arcs(edges: Edges, flags: np.ndarray) -> np.ndarray:
    """Per arc: is its edge flagged, either way (an undirected reading of the flags)?"""
    return flags[edges.senders, edges.receivers] | flags[edges.receivers, edges.senders]


def _spanning_forest_problems(edges: Edges, flags: np.ndarray, nodes: list | None) -> list[str]:
    """What keeps the flagged graph edges (read undirected) from being a spanning forest."""
    n = edges.num_nodes
    picked = _flagged_arcs(edges, flags)
    forest = Edges.of(n, edges.senders[picked], edges.receivers[picked])
    mine, whole = components(forest), components(edges)
    problems = []
    cycles = int(picked.sum()) // 2 - (n - np.unique(mine).size)  # edges beyond a forest of its components
    if cycles > 0:
        u = nx.find_cycle(forest.digraph().to_undirected())[0][0]
        problems.append(f"the flagged edges close {cycles} cycle(s) (e.g. through {_label(nodes, u)})")
    parts = np.unique(np.stack([whole, mine]), axis=1)[0]  # a graph component per part of it the flags leave
    split = np.bincount(parts, minlength=n) > 1
    if split.any():
        problems.append(_some(split, "connected component(s) of the graph are not spanned by the flagged edges",
                              lambda i: f"the one of {_label(nodes, i)}"))
    return problems


# --- the public checks --------------------------------------------------------------------------

def _keys(data: Any, target: Any) -> tuple[np.ndarray, float | None]:
    if isinstance(data, Mapping):
        data, target = data.get("key"), data.get("target", target)
    key = np.asarray(data, dtype=np.float64).ravel()
    return key, (None if target is None else float(target))


def _checked(algorithm: str) -> Algorithm:
    """The record of ``algorithm``, refused when its answer has no structure to check."""
    if algorithm not in CHECKED:
        raise ValueError(f"no structural check for {shown(algorithm)}; checked: {', '.join(CHECKED)}")
    return REGISTRY[algorithm]


def _source(algorithm: str, nodes: list, source: Any) -> int | None:
    if get(algorithm).answer not in ROOTED_TREES:
        return None
    if source is None:
        return 0
    if source not in nodes:
        raise ValueError(f"source {shown(source)} is not a node of the graph")
    return nodes.index(source)


def structure(algorithm: str, data: Any, source: Any, outputs: Any) -> tuple[bool | None, str | None]:
    """``(valid, problem)``: is ``outputs`` (solve's result, or the answer itself as labels in
    node order, ``{node: parent}``, or flags: ``{node: flag}``, ``{u: {v: flag}}``) an answer of
    ``algorithm`` on ``data`` at all? ``valid`` is None for a well-formed set (see
    :func:`pointer_structure`).

    ``data``: a networkx graph (``source`` a node; None: the first node, as :func:`dear.solve`)
    or the keys of an array algorithm.
    """
    record = _checked(algorithm)
    if not record.is_graph:
        key, _ = _keys(data, source)
        nodes = list(range(key.size))
        return pointer_structure(algorithm, None, None, _pointer_array(algorithm, outputs, nodes), nodes)
    edges, nodes = graph_edges(data, weighted=record.inputs.weighted)
    answer, head = _answer_arrays(algorithm, outputs, nodes)
    return pointer_structure(algorithm, edges, _source(algorithm, nodes, source), answer, nodes, head=head)


def tie_aware_check(algorithm: str, data: Any, source: Any, outputs: Any, *, rtol: float = RTOL) -> dict:
    """How right ``outputs`` is, ties allowed: ``valid``/``problem`` (:func:`structure`),
    ``correct`` (share of nodes, or of node pairs for floyd_warshall, whose pointer is a correct
    choice; of flagged edges in some minimum spanning forest; of arcs a topological order
    respects; of nodes or edges a cut set classifies right, with its ``precision`` and
    ``recall``), ``total``/``optimum``/``ratio`` (the answer's tree or forest weight or summed
    path lengths against the best, for trees; None otherwise or when invalid) and ``optimal``
    (a best answer: the optimum reached, sorted, the right partition, the exact cut set, ...);
    for shortest-path trees also ``correct_by_hops`` (:func:`_by_hops`: right pointers by depth)."""
    valid, problem = structure(algorithm, data, source, outputs)
    result: dict[str, Any] = {"valid": valid, "problem": problem, "correct": 0.0, "total": None,
                              "optimum": None, "ratio": None, "optimal": False}
    record = REGISTRY[algorithm]
    answer = record.answer
    if not record.is_graph:
        key, target = _keys(data, source)
        nodes = list(range(key.size))
        pointer = _pointer_array(algorithm, outputs, nodes)
        return result | _array_check(answer, key, target, pointer, valid)
    edges, nodes = graph_edges(data, weighted=record.inputs.weighted)
    pointer, _ = _answer_arrays(algorithm, outputs, nodes)
    if answer is Answer.MST_EDGES:
        return result | _forest_check(edges, pointer, valid, rtol)
    if answer in SETS:
        return result | _cut_check(answer, edges, pointer, valid)
    if answer is Answer.TOPOLOGICAL_ORDER:
        return result | _order_check(edges, pointer, valid)
    idx = np.arange(len(nodes))
    safe = np.where(pointer < 0, idx if pointer.ndim == 1 else idx[None, :], pointer)
    if answer in ROOTED_TREES:
        s = _source(algorithm, nodes, source)
        reach = reachable(edges, s)
        arc = edges.find(safe, idx)
        step = _arc_weights(edges, arc)
        if answer is Answer.SPANNING_TREE:
            fine = (arc >= 0) & np.append(in_some_mst(edges, rtol), False)[arc]
            component = np.flatnonzero(reach).tolist()
            optimum = nx.minimum_spanning_tree(edges.digraph().to_undirected().subgraph(component)).size("weight")
            total = float(step[reach & (idx != s)].sum()) if valid else None
        else:
            distance = _distances(edges, s)
            fine = (arc >= 0) & reach[safe] & np.isclose(distance[safe] + step, distance, rtol=rtol, atol=0)
            optimum = float(distance[reach].sum())
            total = float(path_sums(safe, step)[reach].sum()) if valid else None
        correct = np.where(reach & (idx != s), fine & (pointer != idx), pointer == idx)
        if answer is Answer.SHORTEST_PATH_TREE:
            result["correct_by_hops"] = _by_hops(edges, s, distance, correct, rtol)
    elif answer is Answer.ALL_PAIRS_TREES:
        correct, total, optimum = _floyd_check(edges, safe, valid, rtol)
    elif answer is Answer.DFS_FOREST:
        exact = _exact_dfs(edges)
        correct, total, optimum = pointer == exact, None, None
        result["optimal"] = bool(valid and _is_dfs_forest(edges, pointer))
    else:  # strongly connected components
        roots = component_roots(edges)
        if answer is Answer.COMPONENT_ROOTS:
            correct = pointer == roots
        else:
            label = components(edges)
            along = edges.has(idx, safe) & (label[safe] == label) & (pointer != idx)
            correct = np.where(roots == idx, pointer == idx, along)
        total = optimum = None
        result["optimal"] = bool(valid and correct.all()) if answer is Answer.COMPONENT_ROOTS else valid
    result["correct"] = _share(correct)
    if optimum is not None:
        result |= _against_optimum(total, optimum, rtol)
    return result


def _share(right: np.ndarray) -> float:
    """The share of true entries (1 when there are none to judge)."""
    return float(np.mean(right)) if np.size(right) else 1.0


def _against_optimum(total: float | None, optimum: float, rtol: float) -> dict:
    """An answer's weight or length (None when it is no answer) against the best."""
    result: dict[str, Any] = {"total": total, "optimum": float(optimum)}
    if total is not None:
        result["ratio"] = total / optimum if optimum > 0 else 1.0
        result["optimal"] = bool(result["ratio"] <= 1 + rtol)
    return result


def _forest_check(edges: Edges, flags: np.ndarray, valid: bool | None, rtol: float) -> dict:
    """A minimum spanning forest's edges: the share of flagged edges that lie in some minimum
    spanning forest, and the flagged forest's weight against the minimum."""
    picked = _flagged_arcs(edges, flags) & (edges.senders < edges.receivers)  # each edge once
    optimum = nx.minimum_spanning_tree(edges.digraph().to_undirected()).size("weight")
    total = float(edges.weights[picked].sum()) if valid else None
    return {"correct": _share(in_some_mst(edges, rtol)[picked])} | _against_optimum(total, optimum, rtol)


def _cut_check(answer: Answer, edges: Edges, flags: np.ndarray, valid: bool | None) -> dict:
    """A cut set against networkx's articulation points or bridges: the share of nodes (graph
    edges) classified right, precision, recall, and whether it is the exact set."""
    graph = edges.digraph().to_undirected()
    if answer is Answer.CUT_NODES:
        mine, truth = flags, np.isin(np.arange(edges.num_nodes), list(nx.articulation_points(graph)))
    else:
        bridges = np.zeros(flags.shape, dtype=bool)
        for u, v in nx.bridges(graph):
            bridges[u, v] = bridges[v, u] = True
        once = edges.senders < edges.receivers
        mine, truth = _flagged_arcs(edges, flags)[once], bridges[edges.senders[once], edges.receivers[once]]
    hits = int((mine & truth).sum())
    return {"correct": _share(mine == truth), "precision": hits / int(mine.sum()) if mine.any() else 1.0,
            "recall": hits / int(truth.sum()) if truth.any() else 1.0,
            "optimal": valid is not False and bool(np.array_equal(mine, truth))}


def _order_check(edges: Edges, pointer: np.ndarray, valid: bool | None) -> dict:
    """Any topological order is right: the share of arcs the chain's order respects (0 when
    ``topo`` is no chain through every node), optimal when valid."""
    order = chain_order(pointer)
    if order is None:
        return {"correct": 0.0, "optimal": False}
    rank = np.argsort(order)
    return {"correct": _share(rank[edges.senders] < rank[edges.receivers]), "optimal": bool(valid)}


def _arc_weights(edges: Edges, arc: np.ndarray) -> np.ndarray:
    """Weights of arcs found by :meth:`Edges.find` (inf where -1: no arc)."""
    return np.append(edges.weights, np.inf)[arc]


def _distances(edges: Edges, source: int) -> np.ndarray:
    """Shortest path lengths from ``source`` (networkx's Dijkstra; inf where unreachable)."""
    distance = np.full(edges.num_nodes, np.inf)
    for node, length in nx.single_source_dijkstra_path_length(edges.digraph(), source).items():
        distance[node] = length
    return distance


def _by_hops(edges: Edges, source: int, distance: np.ndarray, correct: np.ndarray, rtol: float) -> dict[int, list[int]]:
    """``{hops: [right, nodes]}`` over the nodes the source reaches, ``hops`` the fewest arcs of a
    shortest path to the node: where in the tree the wrong pointers are (a reasoner trained on
    small graphs has seen few deep ones)."""
    tight = np.isclose(distance[edges.senders] + edges.weights, distance[edges.receivers], rtol=rtol, atol=0)
    tree = nx.DiGraph(zip(edges.senders[tight].tolist(), edges.receivers[tight].tolist()))
    tree.add_node(source)
    by_hops: dict[int, list[int]] = {}
    for node, hops in nx.single_source_shortest_path_length(tree, source).items():
        if node != source:
            entry = by_hops.setdefault(hops, [0, 0])
            entry[0] += int(correct[node])
            entry[1] += 1
    return dict(sorted(by_hops.items()))


def _floyd_check(edges: Edges, pointer: np.ndarray, valid: bool, rtol: float) -> tuple[np.ndarray, float | None, float]:
    n = edges.num_nodes
    idx = np.arange(n)
    correct = np.zeros((n, n), dtype=bool)
    total, optimum = 0.0, 0.0
    for i in range(n):
        reach = reachable(edges, i)
        distance = _distances(edges, i)
        row = pointer[i]
        arc = edges.find(row, idx)
        step = _arc_weights(edges, arc)
        fine = (arc >= 0) & reach[row] & np.isclose(distance[row] + step, distance, rtol=rtol, atol=0)
        correct[i] = np.where(reach & (idx != i), fine & (row != idx), row == i)
        optimum += float(distance[reach].sum())
        if valid:
            mine = np.where(reach, row, idx)  # unreachable nodes point to the root: not part of the tree
            total += float(path_sums(mine, step)[reach].sum())
    return correct, (total if valid else None), optimum


def _exact_dfs(edges: Edges) -> np.ndarray:
    """CLRS's DFS forest: roots in node order, neighbours in node order (networkx's DFS)."""
    pointer = np.arange(edges.num_nodes)
    for u, v in nx.dfs_edges(edges.digraph()):
        pointer[v] = u
    return pointer


def _is_dfs_forest(edges: Edges, pointer: np.ndarray) -> bool:
    """Could some neighbour order make this (valid) forest a DFS forest? Only if the children of
    every node can be ordered so that no non-tree edge runs from an earlier child's subtree to a
    later one's (DFS would have taken it): a precedence graph per node that must be acyclic."""
    n = pointer.size
    children: list[list[int]] = [[] for _ in range(n)]
    for v in range(n):
        if pointer[v] != v:
            children[pointer[v]].append(v)
    depth, enter, leave, clock = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64), 0
    for root in np.flatnonzero(pointer == np.arange(n)).tolist():
        stack = [(root, 0)]
        while stack:
            v, i = stack.pop()
            if i == 0:
                enter[v] = clock
                clock += 1
            if i < len(children[v]):
                stack.append((v, i + 1))
                depth[children[v][i]] = depth[v] + 1
                stack.append((children[v][i], 0))
            else:
                leave[v] = clock
    under = lambda a, b: enter[b] <= enter[a] < leave[b]  # noqa: E731  (a in b's subtree)
    tree = pointer_roots(pointer)
    before: dict[int, nx.DiGraph] = {}
    for x, y in zip(edges.senders.tolist(), edges.receivers.tolist()):
        if under(x, y) or under(y, x) or tree[x] != tree[y]:
            continue  # back, forward or tree edges, or between trees (already ordered by the roots)
        a, b = x, y  # climb to the children of the lowest common ancestor
        while depth[a] > depth[b]:
            a = pointer[a]
        while depth[b] > depth[a]:
            b = pointer[b]
        while pointer[a] != pointer[b]:
            a, b = pointer[a], pointer[b]
        before.setdefault(int(pointer[a]), nx.DiGraph()).add_edge(int(b), int(a))  # b's subtree first
    return all(nx.is_directed_acyclic_graph(order) for order in before.values())


def _array_check(answer: Answer, key: np.ndarray, target: float | None, pointer: np.ndarray, valid: bool) -> dict:
    n = key.size
    if answer is Answer.SORTED_CHAIN:
        pointer = np.where(pointer < 0, np.arange(n), pointer)
        ordered = np.sort(key)
        head = pointer == np.arange(n)
        u, v = key[pointer], key
        between = np.searchsorted(ordered, v, "left") - np.searchsorted(ordered, u, "right")
        correct = np.where(head, key == ordered[0], (u <= v) & (between <= 0))
        optimal = bool(valid and correct.all())
    else:
        choice = int(pointer) if pointer.ndim == 0 else int(pointer.ravel()[0])
        if answer is Answer.MINIMUM:
            best = key.min()
        else:
            best = key[min(int(np.searchsorted(key, target, "left")), n - 1)]
        correct = np.array([0 <= choice < n and key[choice] == best])
        optimal = bool(correct.all())
    return {"correct": float(correct.mean()), "optimal": optimal}


__all__ = ["CHECKED", "RTOL", "SETS", "UNCHECKED_SET", "Edges", "chain_order", "graph_edges", "in_some_mst",
           "pointer_structure", "structure", "tie_aware_check"]
