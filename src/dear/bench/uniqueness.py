"""Is a DEAR's equilibrium *the* equilibrium? The same graphs solved from other starts.

A fixed point answers the question only if the solve finds the same one wherever it begins: a
map with several fixed points gives an answer that depends on the start, which is then part of
the model (as a NAR's number of steps is part of a NAR). The forward's convergence cannot show
this, since each start can converge, to a different point. This module re-solves the test
graphs from the starts the model was not trained from (``zeros``, the encoded ``inputs``, and a
Gaussian ``random`` state as large as the model's own fixed point) at the same tolerance and
reports, against the model's own start, the share of graphs that converged, the relative
distance between the fixed points per graph (over graphs that converged from both starts), and
the share of decoded output elements that are the same answer.
"""

from __future__ import annotations

import torch
from torch_geometric.utils import scatter

from dear.data.batching import collate
from dear.config import INITS
from dear.evaluate import batches
from dear.models.dear import DEAR, initial_state
from dear.nn.graph import EncodedGraph
from dear.nn.readout import group_of, hard_prediction
from dear.specs import Type

#: Where a solve may start: the model's two options, and a random state.
STARTS = (*INITS, "random")


def start_state(start: str, graph: EncodedGraph, hidden: int, scale: float, generator: torch.Generator) -> torch.Tensor:
    """``[N, H]`` initial state: zeros, the encoded inputs, or N(0, scale²) entries."""
    if start in INITS:
        return initial_state(start, graph, hidden)
    if start == "random":
        return scale * torch.randn(graph.num_nodes, hidden, generator=generator).to(graph.node)
    raise ValueError(f"unknown start {start!r}; choose one of: {', '.join(STARTS)}")


def answer_agreement(a: torch.Tensor, b: torch.Tensor, location: str, kind: str, graph: EncodedGraph) -> torch.Tensor:
    """Per answer element, whether two hard predictions agree (``[L]`` bool): a pointer, a mask
    entry or a categorical row; a mask_one probe has one answer per graph (its chosen element)."""
    same = (a == b).reshape(a.shape[0], -1).all(-1)
    if kind == Type.MASK_ONE:  # the graph's argmax: equal one-hots agree on every element
        return scatter(same.float(), group_of(location, graph), 0, dim_size=graph.num_graphs, reduce="min") > 0
    return same


def compare_starts(model: DEAR, data: list, batch_size: int, starts: tuple[str, ...], seed: int = 0) -> dict[str, float]:
    """For each of ``starts``, against the solve from the model's own ``init``:
    ``<start>_converged_fraction``, ``<start>_iterations_mean``, ``<start>_distance_median`` and
    ``<start>_distance_max`` (per graph ``‖h − h_ref‖ / ‖h_ref‖``, over graphs that converged from
    both), ``<start>_agreement`` (share of output elements decoded to the same answer); and
    ``state_rms``, the RMS entry of the reference fixed points (the random start's scale)."""
    generator = torch.Generator().manual_seed(seed)
    totals: dict[str, dict[str, list]] = {s: {"converged": [], "iterations": [], "distance": [], "agree": []}
                                          for s in starts}
    scales = []
    model.eval()
    with torch.no_grad():
        for chunk in batches(data, batch_size):
            batch = collate(chunk, hints=False)
            graph = model.encode(batch)
            solver_graph = model.processor_graph(graph)
            reference, reference_info = model.equilibrium(solver_graph)
            reference = reference[: graph.num_nodes]  # CGP's virtual nodes are neither compared nor decoded
            reference_norm = scatter(reference.pow(2).sum(-1), graph.batch, 0, dim_size=graph.num_graphs).sqrt()
            reference_out = model.output_decoder(reference, graph)
            scale = float(reference.pow(2).mean().sqrt())
            scales.append(scale)
            for start in starts:
                z0 = start_state(start, solver_graph, model.hidden, scale, generator)
                h, info = model.equilibrium(solver_graph, start=z0)
                h = h[: graph.num_nodes]
                gap = scatter((h - reference).pow(2).sum(-1), graph.batch, 0,
                              dim_size=graph.num_graphs).sqrt() / reference_norm.clamp_min(1e-12)
                outputs = model.output_decoder(h, graph)
                both = info.converged & reference_info.converged
                total = totals[start]
                total["converged"].append(info.converged.float())
                total["iterations"].append(info.iterations.float())
                total["distance"].append(gap[both])
                total["agree"].extend(
                    answer_agreement(hard_prediction(outputs[name], loc, kind, graph),
                                     hard_prediction(reference_out[name], loc, kind, graph), loc, kind, graph).float()
                    for name, (_, loc, kind) in model.output_specs().items())
    result = {"state_rms": sum(scales) / len(scales)}
    for start, total in totals.items():
        distance = torch.cat(total["distance"])
        result |= {f"{start}_converged_fraction": torch.cat(total["converged"]).mean().item(),
                   f"{start}_iterations_mean": torch.cat(total["iterations"]).mean().item(),
                   f"{start}_distance_median": distance.median().item() if distance.numel() else None,
                   f"{start}_distance_max": distance.max().item() if distance.numel() else None,
                   f"{start}_agreement": torch.cat(total["agree"]).mean().item()}
    return result

