"""Oracles for the fuzz tests: a refusal must say something *true* about the input.

Each public entry point refuses bad input with a one-line ``ValueError``. A fuzz test that only
checks the exception type passes whatever the message says, and also when NumPy or networkx
raise their own ``ValueError`` from deep inside. Here every message an entry point may give is
a *claim*: a pattern (matched in full) and a check, on the input that was passed, that what the
message says is so (the probe it names was passed and is not an array of real numbers, the
source it quotes is not a node, ...). :func:`result_or_true_refusal` fails on any other
message, on a claim that is not true of the input, and on a refusal of input that is valid.

Where the message is fully determined by the input (an unknown algorithm, an unknown probe, not
a graph at all, ...), the claim builders return that one message only.
"""

from __future__ import annotations

import ast
import math
import os
from fractions import Fraction
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import networkx as nx
import numpy as np
from hypothesis import event

from dear.data.execute import MAX_NODES, MIN_NODES
from dear.algorithms import REGISTRY, ArrayInputs, GraphInputs, get
from dear.errors import shown
from dear.specs import ALGORITHMS, SPECS, Location, Stage

#: A message pattern (``re.fullmatch``) and whether its claim holds of the input.
Claim = tuple[str, Callable[[re.Match], bool]]


#: The algorithms whose inputs these claims model: a graph (``A``, maybe a source) or a key array
#: (maybe a target). Algorithms with other kinds of input (strings, points, intervals, tables)
#: test their refusals in their own test files.
CLAIMED_ALGORITHMS = tuple(name for name, r in REGISTRY.items() if isinstance(r.inputs, (GraphInputs, ArrayInputs)))


def result_or_true_refusal(call: Callable[[], Any], claims: list[Claim], *, valid: bool = False) -> Any:
    """``call()``'s result, or None when it raised a one-line ``ValueError`` whose message is
    one of ``claims`` and true of the input. ``valid``: the input is valid, so it must succeed."""
    try:
        result = call()
    except ValueError as error:
        message = str(error)
        assert message and "\n" not in message, repr(error)
        assert not valid, f"valid input refused: {message}"
        for pattern, holds in claims:
            match = re.fullmatch(pattern, message)
            if match:
                assert holds(match), f"the message is not true of the input: {message}"
                event(f"ValueError: {pattern[:40]}")
                return None
        raise AssertionError(f"not one of the messages expected for this input: {message}") from error
    event("result")
    return result


def _q(text: str) -> str:
    return re.escape(text)


def _shape(text: str) -> tuple[int, ...]:
    return tuple(ast.literal_eval(text))


def _is_real_array(value: object) -> bool:
    """NumPy reads ``value`` as an array of bools, integers or floats (not strings, objects, ...)."""
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _all_finite(value: object) -> bool:
    return bool(np.isfinite(np.asarray(value).astype(np.float64)).all())


def _one_of(names: object) -> str:
    return "(" + "|".join(map(_q, map(str, names))) + ")"  # type: ignore[call-overload]


def unknown_algorithm(algorithm: object) -> list[Claim]:
    return [(r"unknown algorithm .+; choose one of: " + _q(", ".join(ALGORITHMS)),
             lambda m: algorithm not in ALGORITHMS)]


# --- execute -------------------------------------------------------------------------------------

def execute_claims(algorithm: object, inputs: object) -> list[Claim]:
    """What ``execute(algorithm, inputs)`` may truly say."""
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        return unknown_algorithm(algorithm)
    if not isinstance(inputs, Mapping):
        return [(_q(f"inputs must be a mapping of probe name to array, got {type(inputs).__name__}"), lambda m: True)]
    spec = SPECS[algorithm]
    wanted = sorted(name for name, (stage, _, _) in spec.items() if stage == Stage.INPUT)
    unknown = set(inputs) - set(wanted)
    if unknown:  # checked first: the message is fixed
        return [(_q(f"{algorithm} has no input probe(s) {sorted(map(str, unknown))}; its inputs are {wanted}"),
                 lambda m: True)]
    main = get(algorithm).inputs.arguments[0]

    def nodes() -> int:
        value = np.asarray(inputs[main])
        return value.shape[0] if value.ndim else 0

    def source() -> np.ndarray | None:
        try:
            return np.asarray(inputs["s"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            return None

    def bad_shape(m: re.Match) -> bool:
        name, expected, got = m["name"], _shape(m["expected"]), _shape(m["got"])
        if main not in inputs:
            return False
        n = nodes()
        location = spec[name][1]
        return (name in inputs and np.shape(np.asarray(inputs[name])) == got != expected
                and expected == {Location.NODE: (n,), Location.EDGE: (n, n), Location.GRAPH: ()}[location])

    def bad_index(m: re.Match) -> bool:
        s = source()
        return s is not None and s.ndim == 0 and int(m["n"]) == nodes() and not (s == int(s) and 0 <= s < nodes())

    def bad_one_hot(m: re.Match) -> bool:
        s = source()
        return s is not None and s.ndim > 0 and int(m["n"]) == nodes() and not (
            s.shape == (nodes(),) and np.isin(s, (0.0, 1.0)).all() and s.sum() == 1)

    def negative_cycle(m: re.Match) -> bool:
        """The source reaches a cycle of negative total weight (self-loops included; an edge is
        ``A[u, v] != 0``): distances from it still fall after n rounds of relaxing every edge.
        In exact rational arithmetic: weights near 1e308 or 1e-300 neither overflow nor vanish."""
        A, s = np.asarray(inputs["A"], dtype=np.float64), source()
        d: list[Fraction | None] = [None] * len(A)
        d[int(s) if s.ndim == 0 else int(np.argmax(s))] = Fraction(0)
        edges = [(int(u), int(v), Fraction(float(A[u, v]))) for u, v in zip(*np.nonzero(A))]
        for _ in range(len(A) + 1):
            changed = False
            for u, v, w in edges:
                if d[u] is not None and (d[v] is None or d[u] + w < d[v]):
                    d[v], changed = d[u] + w, True
            if not changed:
                return False
        return True

    given = _one_of(inputs) if inputs else "(?!)"
    return [
        (rf"input '{given}' must be an array of real numbers, got (?P<type>\w+)",
         lambda m: type(inputs[m[1]]).__name__ == m["type"] and not _is_real_array(inputs[m[1]])),
        (rf"input '{given}' contains NaN or Inf; give finite values",
         lambda m: _is_real_array(inputs[m[1]]) and not _all_finite(inputs[m[1]])),
        (_q(f"{algorithm} needs input '{main}'"), lambda m: main not in inputs),
        (_q(f"{algorithm} needs at least {MIN_NODES} nodes, got ") + r"(?P<n>\d+)",
         lambda m: main in inputs and int(m["n"]) == nodes() < MIN_NODES),
        (rf"input '(?P<name>{_one_of(wanted)[1:-1]})' of {algorithm} must have shape (?P<expected>\(.*\)), "
         r"got (?P<got>\(.*\))", bad_shape),
        (_q(f"{algorithm} needs a source node 's'"), lambda m: "s" not in inputs),
        (r"input 's' must be a node index in \[0, (?P<n>\d+)\), got .+", bad_index),
        (r"input 's' must be a one-hot vector of length (?P<n>\d+) or a node index", bad_one_hot),
        (_q(f"{algorithm} needs a scalar 'target'"), lambda m: "target" not in inputs),
        (_q(f"{algorithm} needs a directed acyclic graph, but 'A' has a cycle"),
         lambda m: getattr(get(algorithm).inputs, "acyclic", False)
         and not nx.is_directed_acyclic_graph(nx.DiGraph(np.asarray(inputs["A"]) != 0))),
        (_q("bellman_ford does not terminate: A has a negative cycle"),
         lambda m: algorithm == "bellman_ford" and negative_cycle(m)),
        (_q(f"{algorithm} needs 'key' sorted in ascending order"),
         lambda m: algorithm.startswith("binary_search")
         and bool(np.any(np.diff(np.asarray(inputs["key"]).astype(np.float64)) < 0))),
    ]


# --- sample and generate -------------------------------------------------------------------------

def _is_count(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, np.timedelta64)


def bounds(num_nodes: object) -> tuple[int, int] | None:
    """``(lo, hi)`` when ``num_nodes`` is an int or two ints (whatever their order), else None."""
    if _is_int(num_nodes):
        return int(num_nodes), int(num_nodes)  # type: ignore[call-overload]
    try:
        items = list(num_nodes)  # type: ignore[call-overload]
    except TypeError:
        return None
    return (int(items[0]), int(items[1])) if len(items) == 2 and all(map(_is_int, items)) else None


def valid_num_nodes(num_nodes: object) -> bool:
    """A plain int, or a tuple of two, within the documented limits."""
    if isinstance(num_nodes, tuple):
        plain = len(num_nodes) == 2 and all(type(x) is int for x in num_nodes)
    else:
        plain = type(num_nodes) is int
    lo_hi = bounds(num_nodes) if plain else None
    return lo_hi is not None and MIN_NODES <= lo_hi[0] <= lo_hi[1] <= MAX_NODES


#: ``num_samples`` of :func:`sampling_claims` for ``sample``, which takes none.
NOT_GIVEN = object()


def sampling_claims(algorithm: object, num_nodes: object, seed: object, num_samples: object = NOT_GIVEN,
                    options: Mapping[str, object] | None = None) -> list[Claim]:
    """What ``sample(algorithm, num_nodes, seed, **options)`` (or ``generate`` with
    ``num_samples``) may truly say."""
    if algorithm not in ALGORITHMS:
        return unknown_algorithm(algorithm)
    options = options or {}

    def got(value: object) -> Callable[[re.Match], bool]:
        return lambda m: m["got"] == shown(value)

    def range_ok(m: re.Match) -> bool:
        lo_hi = bounds(num_nodes)
        return m["got"] == shown(num_nodes) and (lo_hi is None or lo_hi[0] > lo_hi[1])

    def bounds_are(test: Callable[[int, int], bool]) -> Callable[[re.Match], bool]:
        def check(m: re.Match) -> bool:
            lo_hi = bounds(num_nodes)
            return m["got"] == shown(num_nodes) and lo_hi is not None and lo_hi[0] <= lo_hi[1] and test(*lo_hi)
        return check

    claims: list[Claim] = [
        (r"num_nodes must be an int or an inclusive \(lo, hi\) range, got (?P<got>.*)", range_ok),
        (rf"num_nodes must be at least {MIN_NODES}, got (?P<got>.*)", bounds_are(lambda lo, hi: lo < MIN_NODES)),
        (rf"num_nodes must be at most {MAX_NODES} \(the data are dense\), got (?P<got>.*)",
         bounds_are(lambda lo, hi: hi > MAX_NODES)),
        (r"seed must be a non-negative integer, got (?P<got>.*)", lambda m: got(seed)(m) and not _is_count(seed)),
    ]
    if num_samples is not NOT_GIVEN:
        claims.append((r"num_samples must be a non-negative integer, got (?P<got>.*)",
                       lambda m: got(num_samples)(m) and not _is_count(num_samples)))
    if options:
        claims += [
            (r"edge probability p must be in \[0, 1\], got .*", lambda m: "p" in options),
            (_q(f"bad generator option for {algorithm}: ") + ".+", lambda m: True),
        ]
    return claims


def valid_sampling(num_nodes: object, seed: object, num_samples: object = 0,
                   options: Mapping[str, object] | None = None) -> bool:
    return valid_num_nodes(num_nodes) and _is_count(seed) and _is_count(num_samples) and not options


# --- dear.solve: graphs, arrays, models ----------------------------------------------------------

def valid_graph(algorithm: str, graph: object, source: object) -> bool:
    """A graph every model of ``algorithm`` must answer: the right kind and direction, two nodes
    or more, a source that is a node (where it takes one), no self-loops or parallel edges, and
    positive finite weights on every edge or on none (weighted algorithms)."""
    if not isinstance(graph, nx.Graph) or graph.number_of_nodes() < 2:
        return False
    kind = get(algorithm).inputs
    if graph.is_directed() != kind.directed or nx.number_of_selfloops(graph):
        return False
    if (source is not None and source not in graph) if get(algorithm).has_source else source is not None:
        return False
    if graph.is_multigraph() and any(graph.number_of_edges(u, v) > 1 for u, v in graph.edges()):
        return False
    if kind.acyclic and not nx.is_directed_acyclic_graph(graph):
        return False
    weights = [w for _, _, w in graph.edges(data="weight")]
    if kind.weighted and any(w is not None for w in weights):
        try:
            return all(w is not None and math.isfinite(float(w)) and float(w) > 0 for w in weights)
        except (TypeError, ValueError, OverflowError):
            return False
    return True


def _batch_claims(algorithm: str, graphs: list, source: object) -> list[Claim]:
    """What ``dear.solve`` may truly say about a list of graphs: the list, or a claim about the
    graph at position ``i`` (and its source), prefixed ``graph i: ``."""
    if not graphs:
        return [(_q(f"the list of graphs is empty; {algorithm} needs at least one graph"), lambda m: True)]
    if isinstance(source, list) and len(source) != len(graphs):
        return [(_q(f"{len(source)} sources for {len(graphs)} graphs; pass one source per graph (or one node for all)"),
                 lambda m: True)]
    sources = source if isinstance(source, list) else [source] * len(graphs)
    claims = []
    for i, (graph, node) in enumerate(zip(graphs, sources)):
        prefix = f"graph {i}: "
        for pattern, holds in graph_claims(algorithm, graph, node, batches=False):
            body = (lambda m, pattern=pattern, holds=holds, start=len(prefix):  # the claim, read without the prefix
                    holds(re.fullmatch(pattern, m.string[start:])))
            claims.append((_q(prefix) + f"(?:{pattern})", body))
    return claims


def _adjacency_claims(algorithm: str, matrix: np.ndarray, source: object) -> list[Claim]:
    """What may be said of a dense adjacency matrix: its shape or type, its symmetry (undirected
    algorithms), or anything true of the graph it stands for (nonzero entries are edges)."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.dtype.kind not in "biuf":
        return [(_q(f"{algorithm} needs a square adjacency matrix of real numbers, got an array of shape "
                    f"{matrix.shape} and dtype {matrix.dtype}"), lambda m: True)]
    kind = get(algorithm).inputs
    A = matrix.astype(np.float64)
    edge = A != 0

    def differ(u: int, v: int) -> bool:
        return not (A[u, v] == A[v, u] or (math.isnan(A[u, v]) and math.isnan(A[v, u])))

    graph = nx.DiGraph() if kind.directed else nx.Graph()
    graph.add_nodes_from(range(A.shape[0]))
    graph.add_weighted_edges_from((int(u), int(v), float(A[u, v])) for u, v in zip(*np.nonzero(edge))
                                  if kind.directed or u <= v)
    asymmetric = _q(f"{algorithm} needs an undirected graph, but the adjacency matrix is not symmetric: ")
    return [
        (asymmetric + r"it has the edge \((?P<u>\d+), (?P<v>\d+)\) but not \((?P=v), (?P=u)\); .+",
         lambda m: not kind.directed and edge[int(m["u"]), int(m["v"])] and not edge[int(m["v"]), int(m["u"])]),
        (asymmetric + r"the edge \((?P<u>\d+), (?P<v>\d+)\) weighs .+ and \((?P=v), (?P=u)\) .+; .+",
         lambda m: not kind.directed and kind.weighted and differ(int(m["u"]), int(m["v"]))),
    ] + graph_claims(algorithm, graph, source, batches=False)


def graph_claims(algorithm: str, graph: object, source: object, batches: bool = True) -> list[Claim]:
    """What ``dear.solve`` (``batches``: a list or tuple is several graphs) or ``model_batch``
    (one graph) may truly say about a graph and its source."""
    if batches and isinstance(graph, (list, tuple)):
        return _batch_claims(algorithm, list(graph), source)
    if isinstance(graph, np.ndarray):
        return _adjacency_claims(algorithm, graph, source)
    if not isinstance(graph, nx.Graph):
        return [(_q(f"{algorithm} needs a networkx graph, a torch_geometric Data or an adjacency matrix (or a list "
                    f"of them), got {type(graph).__name__}"), lambda m: True)]
    if graph.number_of_nodes() == 0:
        return [(_q(f"the graph is empty (no nodes); {algorithm} needs at least 2 nodes"), lambda m: True)]
    kind = get(algorithm).inputs
    nodes = {shown(node) for node in graph}

    def on_edge(test: Callable[[object], bool]) -> Callable[[re.Match], bool]:
        """The message starts with an edge ``(u, v)`` of the graph whose weight passes ``test``."""
        return lambda m: any(m.string.startswith(f"edge ({shown(u)}, {shown(v)}) ") and test(w)
                             for u, v, w in graph.edges(data="weight"))

    def as_float(w: object) -> float | None:
        try:
            return float(w)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None

    def parallel(m: re.Match) -> bool:
        return graph.is_multigraph() and any(
            graph.number_of_edges(u, v) == int(m["k"]) > 1 and m["pair"] == f"{shown(u)} and {shown(v)}"
            for u, v in graph.edges())

    weighted = sum(w is not None for _, _, w in graph.edges(data="weight"))
    return [
        (_q(f"the graph has {graph.number_of_nodes()} node(s); {algorithm} needs at least 2"),
         lambda m: graph.number_of_nodes() < 2),
        (_q(f"{algorithm} needs an undirected graph, got a directed one; pass G.to_undirected()"),
         lambda m: graph.is_directed() and not kind.directed),
        (_q(f"{algorithm} needs a directed graph, got an undirected one; pass G.to_directed() (each edge both ways)"),
         lambda m: kind.directed and not graph.is_directed()),
        (r"source (?P<source>.+) is not a node of the graph; pass one of its nodes \(e\.g\. (?P<node>.+)\)",
         lambda m: get(algorithm).has_source and m["source"] == shown(source) and source not in graph
         and m["node"] in nodes),
        (_q(f"{algorithm} takes no source node") + "(; leave source out)?",
         lambda m: source is not None and not get(algorithm).has_source),
        (r"the graph has a self-loop at node (?P<node>.+); remove self-loops with "
         + _q("G.remove_edges_from(list(nx.selfloop_edges(G)))"),
         lambda m: m["node"] in {shown(u) for u, _ in nx.selfloop_edges(graph)}),
        (r"the graph has (?P<k>\d+) parallel edges between (?P<pair>.+); keep one edge per pair "
         r"\(nx\.(Di)?Graph\(G\) keeps the last of each\)", parallel),
        (_q(f"{algorithm} needs a directed acyclic graph, but G has the cycle ") + ".+",
         lambda m: kind.acyclic and not nx.is_directed_acyclic_graph(nx.DiGraph(graph))),
        (r"edge \(.+\) has no 'weight' while (?P<k>\d+) other edge\(s\) have one; give every edge a weight "
         r"\(or none: all weigh 1\)", lambda m: kind.weighted and int(m["k"]) == weighted and on_edge(
             lambda w: w is None)(m)),
        (r"edge \(.+\) has weight .+, not a real number; give it a positive number",
         lambda m: kind.weighted and on_edge(lambda w: w is not None and as_float(w) is None)(m)),
        (r"edge \(.+\) has weight NaN; give it a positive number or remove the edge",
         lambda m: kind.weighted and on_edge(lambda w: as_float(w) is not None and math.isnan(as_float(w)))(m)),
        (r"edge \(.+\) has an infinite weight; remove the edge instead \(no edge is what it means\)",
         lambda m: kind.weighted and on_edge(lambda w: as_float(w) is not None and math.isinf(as_float(w)))(m)),
        (r"edge \(.+\) has the negative weight .+; " + _q(algorithm) + r" needs positive weights .+",
         lambda m: kind.weighted and on_edge(lambda w: as_float(w) is not None and as_float(w) < 0)(m)),
        (r"edge \(.+\) has weight 0, which the models cannot tell from no edge; .+",
         lambda m: kind.weighted and on_edge(lambda w: as_float(w) == 0)(m)),
    ]


def array_claims(algorithm: str, data: object, target: object) -> list[Claim]:
    """What ``dear.solve``/``model_batch`` may truly say about keys (and a target)."""
    if isinstance(data, dict):
        data, target = data.get("key"), data.get("target", target)
    key = np.asarray(data).astype(np.float64) if _is_real_array(data) else None  # bools as 0/1, as NumPy diffs them
    sorted_search = algorithm.startswith("binary_search")

    def finite_target() -> bool:
        try:
            return math.isfinite(float(target))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return False

    return [
        (r"input 'key' must be an array of real numbers, got (?P<type>\w+)",
         lambda m: key is None and m["type"] == type(data).__name__),
        (_q("input 'key' contains NaN or Inf; give finite values"), lambda m: key is not None and not _all_finite(key)),
        (_q(f"{algorithm} needs a 1-D sequence of at least 2 numbers, got shape ") + r"(?P<shape>\(.*\))",
         lambda m: key is not None and key.shape == _shape(m["shape"]) and (key.ndim != 1 or key.size < 2)),
        (_q(f"{algorithm} needs a finite number as target (pass source=target)"),
         lambda m: sorted_search and not finite_target()),
        (_q(f"{algorithm} needs keys sorted in increasing order"),
         lambda m: sorted_search and key is not None and bool(np.any(np.diff(key) < 0))),
    ]


def model_claims(algorithm: str, model: object) -> list[Claim]:
    """What loading ``model`` for ``algorithm`` may truly say (not a name or folder, not shipped)."""
    return [
        (_q(f"model must be a shipped model's name or a run directory, got {type(model).__name__}"),
         lambda m: not isinstance(model, (str, os.PathLike))),
        (r"no pretrained (?P<model>.+) model for " + _q(algorithm) + r"; shipped for it: .+ \(or pass a run directory\)",
         lambda m: isinstance(model, str) and m["model"] == repr(model) and not Path(model).is_dir()),
        (r".+ is not a run directory \(no config\.json\)",
         lambda m: isinstance(model, (str, os.PathLike)) and not (Path(model) / "config.json").exists()),
    ]
