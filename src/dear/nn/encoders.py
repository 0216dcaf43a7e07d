"""Spec-driven encoders: one linear map per probe, summed per location (CLRS-30)."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.data import Batch

from dear.data.batching import probe_key
from dear.specs import POINTER_TYPES, SPECS, Location, Type, feature_width



def pointer_to_edges(pointer: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Node pointers (global ids ``[N]``) as an edge indicator ``[E]``: 1 on ``pointer[i] -> i``."""
    sender, receiver = edge_index
    return (pointer[receiver] == sender).float()


class ProbeEncoder(nn.Module):
    """Encodes the probes of one stage (inputs, or the hints of one step) into sums per location.

    Node pointers become edge features (1 on the edge ``pointer -> node``), as in CLRS.
    Edge-located pointers (Floyd–Warshall's ``Pi_h``) are not encoded: they only occur as
    hints and are decoded, never fed back.
    """

    def __init__(self, algorithm: str, stage: str, hidden: int) -> None:
        super().__init__()
        self.stage = stage
        self.hidden = hidden
        self.probes = {
            name: (location, kind)
            for name, (probe_stage, location, kind) in SPECS[algorithm].items()
            if probe_stage == stage and not (location == Location.EDGE and kind in POINTER_TYPES)
        }
        self.linears = nn.ModuleDict(
            {name: nn.Linear(feature_width(algorithm, name), hidden) for name in self.probes}
        )

    def forward(
        self, batch: Batch, values: dict[str, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoded node ``[N, H]``, edge ``[E, H]`` and graph ``[G, H]`` features.

        ``values`` replaces the batch's tensors by name (the hints of one step, or the model's
        own predictions; a predicted pointer is given as per-edge probabilities ``[E]``).
        """
        device = batch.edge_index.device
        sums = {
            Location.NODE: torch.zeros(batch.num_nodes, self.hidden, device=device),
            Location.EDGE: torch.zeros(batch.edge_index.shape[1], self.hidden, device=device),
            Location.GRAPH: torch.zeros(batch.num_graphs, self.hidden, device=device),
        }
        for name, (location, kind) in self.probes.items():
            x = values[name] if values is not None and name in values else batch[probe_key(self.stage, name)]
            if kind in POINTER_TYPES:
                location = Location.EDGE
                if x.dtype == torch.long:
                    x = pointer_to_edges(x, batch.edge_index)
            if kind != Type.CATEGORICAL:
                x = x.unsqueeze(-1)
            sums[location] = sums[location] + self.linears[name](x.float())
        return sums[Location.NODE], sums[Location.EDGE], sums[Location.GRAPH]
