"""Is the model's answer an answer? Checked on the graph the model read, repaired where not.

Every answer with a structure is checked (:func:`dear.checking.pointer_structure`: a tree over
the nodes the source reaches, a DFS forest, a spanning forest's edges, a topological order, ...)
and, where it is none, replaced by the valid answer the model's scores like best
(:func:`dear.solve.repair.repair`), so an answer comes back valid or flagged, never silently
wrong. A set of nodes or edges (cut nodes, bridges) is well formed whatever it holds: only
flags off the graph's edges or one-way are repaired, and its ``valid`` stays None.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch_geometric.data import Batch, Data

from dear.algorithms import get
from dear.checking import CHECKED, Edges, chain_order, pointer_structure
from dear.solve.answer import dense_edges
from dear.solve.repair import repair
from dear.specs import SPECS, Location, Type


def _batch_graph(batch: Batch | Data) -> tuple[Edges, int | None]:
    """The graph a one-graph batch encodes (its ``adj``, self-loops aside) and its source position."""
    edge_index = batch.edge_index.cpu().numpy()
    adj = batch["input_adj"].cpu().numpy() > 0
    arcs = adj & (edge_index[0] != edge_index[1])
    source = int(batch["input_s"].argmax()) if "input_s" in batch else None
    return Edges.of(int(batch.num_nodes), edge_index[0][arcs], edge_index[1][arcs]), source


def _on_nodes(algorithm: str, probe: str, values: np.ndarray, edge_index: np.ndarray, n: int) -> np.ndarray:
    """An output as :func:`~dear.checking.pointer_structure` reads it: edge outputs ``[n, n]``
    (from the batch's edges), masks as flags."""
    _, location, kind = SPECS[algorithm][probe]
    values = dense_edges(values, edge_index, n) if location == Location.EDGE else values
    return values > 0.5 if kind == Type.MASK else values


def _head(pointer: np.ndarray) -> int:
    """Where a chain of successor pointers starts (-1 when it is none)."""
    order = chain_order(pointer)
    return -1 if order is None else int(order[0])


def checked_outputs(algorithm: str, batch: Batch | Data, outputs: dict[str, np.ndarray], scores: dict[str, Any],
                    nodes: list, repair_invalid: bool = True) -> dict[str, Any]:
    """Check the answer's structure on the one graph of ``batch`` (``outputs`` on its node
    positions) and, where it is no answer and ``repair_invalid``, replace it in ``outputs`` by
    :func:`~dear.solve.repair.repair`'s (a chain's first node with it). Returns ``valid`` (of
    the answer returned; None where nothing checks it, as for a well-formed set), ``repaired``
    and ``problem`` (what was wrong with the model's own answer, or why it is unchecked)."""
    probe = CHECKED.get(algorithm)
    if probe is None:
        return {"valid": None, "repaired": False, "problem": f"no structural check for {algorithm}"}
    if SPECS[algorithm][probe][2] == Type.MASK_ONE:  # one node (minimum, binary search): always an answer
        return {"valid": True, "repaired": False, "problem": None}
    record = get(algorithm)
    edge_index = batch.edge_index.cpu().numpy()
    n = len(nodes)
    edges, source = _batch_graph(batch) if record.is_graph else (None, None)
    answer = _on_nodes(algorithm, probe, outputs[probe], edge_index, n)
    head = int(np.argmax(outputs[record.head])) if record.head else None
    valid, problem = pointer_structure(algorithm, edges, source, answer, nodes, head=head)
    if valid is not False or not repair_invalid:
        return {"valid": valid, "repaired": False, "problem": problem}
    first = scores[record.head] if record.head else None
    fixed = repair(algorithm, edges, source, scores[probe], edge_index, first=first)
    if fixed is None:
        return {"valid": False, "repaired": False, "problem": f"{problem} (no repair for {algorithm})"}
    head = _head(fixed) if record.head else None
    now, _ = pointer_structure(algorithm, edges, source, fixed, nodes, head=head)
    if now is False:  # pragma: no cover - a bug
        raise RuntimeError(f"the repaired {algorithm} answer is no answer either")
    if SPECS[algorithm][probe][1] == Location.EDGE:
        fixed = fixed[edge_index[0], edge_index[1]]
    outputs[probe] = fixed.astype(outputs[probe].dtype)
    if record.head:
        outputs[record.head] = (np.arange(n) == head).astype(outputs[record.head].dtype)
    return {"valid": now, "repaired": True, "problem": problem}


__all__ = ["checked_outputs"]
