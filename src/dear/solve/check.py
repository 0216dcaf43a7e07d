"""Is the model's answer an answer? Checked on the graph the model read, repaired where not.

Every pointer answer is checked for structure (:func:`dear.checking.pointer_structure`: a tree
over the nodes the source reaches, a DFS forest, ...) and, where it is none, replaced by the
valid answer the model's scores like best (:func:`dear.solve.repair.repair`), so an answer
comes back valid or flagged, never silently wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch_geometric.data import Batch, Data

from dear.algorithms import get
from dear.checking import CHECKED, Edges, pointer_structure
from dear.solve.answer import dense_edges
from dear.solve.repair import repair
from dear.specs import POINTER_TYPES, SPECS, Location


def _batch_graph(batch: Batch | Data) -> tuple[Edges, int | None]:
    """The graph a one-graph batch encodes (its ``adj``, self-loops aside) and its source position."""
    edge_index = batch.edge_index.cpu().numpy()
    adj = batch["input_adj"].cpu().numpy() > 0
    arcs = adj & (edge_index[0] != edge_index[1])
    source = int(batch["input_s"].argmax()) if "input_s" in batch else None
    return Edges.of(int(batch.num_nodes), edge_index[0][arcs], edge_index[1][arcs]), source


def checked_outputs(algorithm: str, batch: Batch | Data, outputs: dict[str, np.ndarray], scores: dict[str, Any],
                    nodes: list, repair_invalid: bool = True) -> dict[str, Any]:
    """Check the answer's structure on the one graph of ``batch`` (``outputs`` on its node
    positions) and, where it is no answer and ``repair_invalid``, replace it in ``outputs`` by
    :func:`~dear.solve.repair.repair`'s. Returns ``valid`` (of the answer returned; None where
    nothing checks it), ``repaired`` and ``problem`` (what was wrong with the model's own answer)."""
    probe = CHECKED.get(algorithm)
    if probe is None:
        return {"valid": None, "repaired": False, "problem": f"no structural check for {algorithm}"}
    if SPECS[algorithm][probe][2] not in POINTER_TYPES:  # one node (minimum, binary search): always an answer
        return {"valid": True, "repaired": False, "problem": None}
    edge_index = batch.edge_index.cpu().numpy()
    n = len(nodes)
    edges, source = _batch_graph(batch) if get(algorithm).is_graph else (None, None)
    pointer = outputs[probe]
    if SPECS[algorithm][probe][1] == Location.EDGE:
        pointer = dense_edges(pointer, edge_index, n)
    valid, problem = pointer_structure(algorithm, edges, source, pointer, nodes)
    if valid or not repair_invalid:
        return {"valid": valid, "repaired": False, "problem": problem}
    fixed = repair(algorithm, edges, source, scores[probe], edge_index)
    if fixed is None:
        return {"valid": False, "repaired": False, "problem": f"{problem} (no repair for {algorithm})"}
    if pointer_structure(algorithm, edges, source, fixed, nodes)[0] is not True:  # pragma: no cover - a bug
        raise RuntimeError(f"the repaired {algorithm} answer is no answer either")
    outputs[probe] = fixed[edge_index[0], edge_index[1]] if SPECS[algorithm][probe][1] == Location.EDGE else fixed
    return {"valid": True, "repaired": True, "problem": problem}


__all__ = ["checked_outputs"]
