"""Spec-driven encoders: one linear map per probe, summed per location (CLRS-30)."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.data import Batch

from dear.data.batching import probe_key
from dear.specs import POINTER_TYPES, SPECS, Location, Type, feature_width


def pointer_to_edges(
    pointer: torch.Tensor, edge_index: torch.Tensor, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Node pointers (global ids ``[N]``) as an edge indicator ``[E]``: 1 on ``pointer[i] -> i``."""
    sender, receiver = edge_index
    return (pointer[receiver] == sender).to(dtype)


class ProbeEncoder(nn.Module):
    r"""Encodes the probes of one stage (inputs, or the hints of one step) into sums per location:
    one linear map per probe :math:`p`, summed over the probes at each location (CLRS-30's encoder)

    .. math::
        \mathbf{n}_i = \sum_{p \in \mathcal{P}_{\mathrm{node}}} \mathbf{W}_p \mathbf{x}_{p,i} + \mathbf{b}_p,
        \qquad
        \mathbf{e}_{j \to i} = \sum_{p \in \mathcal{P}_{\mathrm{edge}}}
        \mathbf{W}_p \mathbf{x}_{p,j \to i} + \mathbf{b}_p,
        \qquad
        \mathbf{g} = \sum_{p \in \mathcal{P}_{\mathrm{graph}}} \mathbf{W}_p \mathbf{x}_p + \mathbf{b}_p,

    where :math:`\mathbf{x}_p` is the probe's value (a scalar for scalar, mask and mask_one
    probes, a one-hot for categorical ones). Node pointers are edge probes here: CLRS encodes
    :math:`\pi(i) = j` as the indicator :math:`\mathbb{1}[\pi(i) = j]` on edge :math:`j \to i`.
    Edge-located pointers (Floyd–Warshall's ``Pi_h``) are not encoded: they only occur as
    hints and are decoded, never fed back. Inputs are cast to the weights' dtype, so the
    encoder follows ``module.double()``.

    Args:
        algorithm (str): The algorithm whose probe specs drive the encoder.
        stage (str): Which probes to encode: ``"input"`` or ``"hint"``.
        hidden (int): Width :math:`H` of every encoding.

    Shapes:
        - **input:** a PyG batch of :math:`N` nodes, :math:`E` edges and :math:`G` graphs holding
          the stage's probes: node probes :math:`(N)` or :math:`(N, C)` (categorical), edge
          probes :math:`(E)` or :math:`(E, C)`, graph probes :math:`(G)` or :math:`(G, C)`, node
          pointers as global node ids :math:`(N)` (long); ``values`` may replace any of them by
          name (a hint stage reads one step's hints from there), a pointer then also as
          per-edge probabilities :math:`(E)`
        - **output:** node :math:`(N, H)`, edge :math:`(E, H)` and graph :math:`(G, H)` encodings
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

    def reset_parameters(self) -> None:
        for linear in self.linears.values():
            linear.reset_parameters()

    @property
    def dtype(self) -> torch.dtype:
        """The weights' dtype (the default dtype for a stage without probes)."""
        return next((linear.weight.dtype for linear in self.linears.values()), torch.get_default_dtype())

    def forward(
        self, batch: Batch, values: dict[str, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoded node ``[N, H]``, edge ``[E, H]`` and graph ``[G, H]`` features.

        ``values`` replaces the batch's tensors by name (the hints of one step, or the model's
        own predictions; a predicted pointer is given as per-edge probabilities ``[E]``).
        """
        device, dtype = batch.edge_index.device, self.dtype
        sums = {
            Location.NODE: torch.zeros(batch.num_nodes, self.hidden, device=device, dtype=dtype),
            Location.EDGE: torch.zeros(batch.edge_index.shape[1], self.hidden, device=device, dtype=dtype),
            Location.GRAPH: torch.zeros(batch.num_graphs, self.hidden, device=device, dtype=dtype),
        }
        for name, (location, kind) in self.probes.items():
            x = values[name] if values is not None and name in values else batch[probe_key(self.stage, name)]
            if kind in POINTER_TYPES:
                location = Location.EDGE
                if x.dtype == torch.long:
                    x = pointer_to_edges(x, batch.edge_index, dtype)
            if kind != Type.CATEGORICAL:
                x = x.unsqueeze(-1)
            sums[location] = sums[location] + self.linears[name](x.to(dtype))
        return sums[Location.NODE], sums[Location.EDGE], sums[Location.GRAPH]
