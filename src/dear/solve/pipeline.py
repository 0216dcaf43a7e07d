"""``dear.solve``: from a user's graph to a checked answer, in one call.

The steps live in their own modules (convert the input, run the model, check and repair the
answer, key it by node); this one orders them, validating every input before the model loads
and running a list of graphs as one batch, one forward pass.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import networkx as nx
import numpy as np
from torch_geometric.data import Batch

from dear.checking import CHECKED, tie_aware_check
from dear.config import TrainConfig
from dear.data.trajectory import Trajectory
from dear.solve.answer import answer_graph, distances, keyed_outputs, readable_outputs, topological_order
from dear.solve.check import checked_outputs
from dear.solve.convert import Problem, batch_of, is_batch, problem_of, problems_of
from dear.solve.run import GraphRun, default_model, load_model, run_graphs
from dear.specs import check_algorithm


class NotConvergedWarning(UserWarning):
    """A DEAR answer whose solve stopped above its tolerance (the last iterate, not a fixed point)."""


def solve(algorithm: str, graph: Any, source: Any = None, model: str | None = None, *, check: bool = False,
          tol: float | None = None, max_iter: int | None = None, repair: bool = True,
          as_graph: bool = False) -> dict | nx.DiGraph | list:
    """Outputs of ``algorithm`` on ``graph`` predicted by a trained reasoner, checked.

    ``graph``: for graph algorithms a networkx graph (edge attribute ``"weight"``; without any,
    every edge weighs 1), a torch_geometric ``Data`` (``edge_index``, weights from
    ``edge_weight`` or a one-column ``edge_attr``, ``num_nodes``), a dense adjacency matrix
    (NumPy or torch: nonzero entries are edges, their values the weights), or a list of these
    (or a PyG ``Batch``) solved as one batch, one forward pass, giving a list of results
    (``source``: one node for all, or a list of one per graph). For array algorithms a
    sequence of keys (or ``{"key": [...], "target": x}``), with ``source`` as the
    binary-search target. Bad input (see :func:`dear.solve.convert.validate_graph`) is a
    one-line ``ValueError`` naming the fix. Equal weights are tie-broken deterministically
    (:data:`dear.solve.convert.TIE_BREAK`). ``model``: a shipped model's name or a run directory;
    by default the DEAR trained for users' larger graphs where one ships for ``algorithm``
    (the first of :data:`dear.solve.run.USERS_DEARS`), else the paper-protocol ``dear``
    (:func:`dear.solve.run.default_model`).

    Returns a dict: ``algorithm``, ``model``, ``source`` (the source node used: the first node
    when left out); the output probes keyed by node for graphs (``{node: parent}`` for
    pointers, ``{node: bool}`` for masks, ``{u: {v: value}}`` on edges, the node itself for a
    one-node answer; arrays in key order for array algorithms); ``distance`` for
    shortest-path algorithms (``{node: length}`` along the returned tree, with the graph's own
    weights, for the nodes it reaches); ``order`` for a topological sort (its nodes, first to
    last); ``valid``, ``repaired`` and ``problem``: every answer is checked for structure
    (:mod:`dear.checking`: a tree over the nodes the source reaches, a DFS forest, a spanning
    forest's edges, a topological order, ...) and, where the model's is none, replaced by the
    valid answer its scores like best (:func:`dear.solve.repair.repair`), ``problem`` saying
    what was wrong; with ``repair=False`` the model's own answer comes back with ``valid:
    False``. A set of cut nodes or bridges is well formed whatever it holds (``valid: None``;
    ``check`` compares it with the exact set). Also the
    solver ``diagnostics`` (DEAR: iterations, residual, converged, tol), ``converged`` (False
    when a DEAR solve stopped above its tolerance, also raised as a
    :class:`NotConvergedWarning`) and, with ``check``, the ``exact`` outputs and the fraction of
    entries agreeing with them per probe (``agreement``) where the exact run fits
    (:func:`dear.solve.convert.exact_fits`: it records every hint), and ``check``, the tie-aware verdict
    of :func:`dear.checking.tie_aware_check` (share of pointers that are *a* correct choice,
    total weight or length against the optimum). ``tol``/``max_iter`` replace DEAR's
    evaluation solver limits (a relaxed ``tol=1e-2`` roughly halves iterations).
    ``as_graph=True`` returns the answer as a networkx graph instead
    (:func:`dear.solve.answer.answer_graph`: tree edges, per-node outputs as node attributes,
    the rest as graph attributes).
    """
    check_algorithm(algorithm)
    batched = is_batch(algorithm, graph)
    problems = problems_of(algorithm, graph, source) if batched else [problem_of(algorithm, graph, source)]
    model = default_model(algorithm) if model is None else model
    config, reasoner = load_model(algorithm, model, tol, max_iter)
    batch, trajectories = batch_of(algorithm, problems, exact=check, steps=reasoner.uses_length)
    runs = run_graphs(reasoner, batch)
    own = [batch] if len(problems) == 1 else [batch.get_example(g) for g in range(len(problems))]  # graph by graph
    results = [_result(algorithm, str(model), config, problem, graph_batch, run, trajectory, check=check, repair=repair)
               for problem, graph_batch, run, trajectory in zip(problems, own, runs, trajectories)]
    _warn_unconverged(model, results)
    if as_graph:
        results = [answer_graph(algorithm, result, problem) for result, problem in zip(results, problems)]
    return results if batched else results[0]


def _result(algorithm: str, model: str, config: TrainConfig, problem: Problem, batch: Batch, run: GraphRun,
            trajectory: Trajectory | None, *, check: bool, repair: bool) -> dict[str, Any]:
    """One graph's result from its share of the forward pass (``batch``: its own graph)."""
    outputs = run.outputs
    verdict = checked_outputs(algorithm, batch, outputs, run.scores, problem.nodes, repair_invalid=repair)
    edge_index = batch.edge_index.cpu().numpy()
    readable = readable_outputs(algorithm, outputs, edge_index, problem.nodes)
    keyed = problem.graph is not None
    result: dict[str, Any] = {"algorithm": algorithm, "model": model, "source": problem.source}
    result |= keyed_outputs(algorithm, outputs, edge_index, problem) if keyed else readable
    claims = {"distance": distances(algorithm, outputs, edge_index, problem),
              "order": topological_order(algorithm, outputs, problem)}
    result |= {key: value for key, value in claims.items() if value is not None}
    result |= verdict
    diagnostics = run.diagnostics
    result["diagnostics"] = diagnostics | ({"tol": config.eval_tol} if "converged" in diagnostics else {})
    result["converged"] = diagnostics.get("converged", True)
    if check and trajectory is not None:
        exact = readable_outputs(algorithm, trajectory.outputs, edge_index, problem.nodes)
        result["exact"] = keyed_outputs(algorithm, trajectory.outputs, edge_index, problem) if keyed else exact
        result["agreement"] = {k: float(np.mean(np.asarray(readable[k]) == np.asarray(v))) for k, v in exact.items()}
    if check and algorithm in CHECKED:
        result["check"] = tie_aware_check(algorithm, problem.graph if keyed else problem.keys, problem.source, result)
    return result


def _outside_stacklevel() -> int:
    """The ``stacklevel`` of the first caller outside this package (``dear.solve(...)`` goes
    through the package's ``__call__``; ``solve_file`` through :mod:`dear.solve.io`)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[:2] in (["dear", "solve"],
                                                                                       ["dear", "solving"]):
        frame, level = frame.f_back, level + 1
    return level


def _warn_unconverged(model: Any, results: list[dict]) -> None:
    """One :class:`NotConvergedWarning` for the graphs whose solve stopped above its tolerance."""
    stopped = [(g, result["diagnostics"]) for g, result in enumerate(results) if not result["converged"]]
    if not stopped:
        return
    g, diagnostics = stopped[0]
    detail = f"residual {diagnostics['residual']:.3g} after {diagnostics['iterations']} iterations"
    where = (f"this graph ({detail})" if len(results) == 1 else
             f"{len(stopped)} of {len(results)} graphs (graph {g}: {detail})")
    warnings.warn(f"{model} did not reach its tolerance on {where}: the answer is its last iterate, not a fixed "
                  "point; try a larger max_iter", NotConvergedWarning, stacklevel=_outside_stacklevel())


__all__ = ["NotConvergedWarning", "solve"]
