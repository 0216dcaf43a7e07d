"""Encode–process–decode shared by every reasoner; subclasses only say how the latent is found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import torch
from torch import nn
from torch_geometric.data import Batch

from dear.data.batching import probe_key
from dear.deq.info import SolverInfo
from dear.nn.decoders import ProbeDecoder
from dear.nn.encoders import ProbeEncoder
from dear.nn.granola import with_random_features
from dear.nn.graph import EncodedGraph
from dear.nn.losses import probe_loss
from dear.nn.metrics import probe_statistics
from dear.nn.processors import build_processor
from dear.nn.processors.cgp import with_cayley_nodes
from dear.specs import SPECS, Stage


#: What ``Reasoner.latent`` reports besides the state: rollout statistics, or the solve's info
#: (summarised when read, so that a training log taken after ``backward()`` holds the adjoint's).
Report = Union[dict[str, float], SolverInfo]


@dataclass
class Prediction:
    """What a forward pass returns: output scores, extra losses and solver/rollout diagnostics."""

    outputs: dict[str, torch.Tensor]
    graph: EncodedGraph
    latent: torch.Tensor
    aux_losses: dict[str, torch.Tensor] = field(default_factory=dict)
    report: Report = field(default_factory=dict)

    @property
    def solver(self) -> SolverInfo | None:
        """The equilibrium solve's per-graph info (DEAR, DEM), else None."""
        return self.report if isinstance(self.report, SolverInfo) else None

    @property
    def diagnostics(self) -> dict[str, float]:
        """Scalars for logs: the rollout's, or the solve's summary as of now."""
        return self.report.summary() if isinstance(self.report, SolverInfo) else dict(self.report)


class Reasoner(nn.Module):
    """Spec-driven encoder, a processor, spec-driven output decoder (CLRS-30's blueprint)."""

    #: Whether training batches must carry the hints (only hint-supervised models read them).
    uses_hints = False
    #: Whether inference reads the ground-truth number of steps ``batch.length`` (NAR's ``T``).
    uses_length = False

    def __init__(
        self, algorithm: str, hidden: int = 128, processor: str = "mpnn", *, granola: bool = False, cgp: bool = False
    ) -> None:
        super().__init__()
        self.algorithm = algorithm
        self.hidden = hidden
        self.granola = granola
        self.cgp = cgp
        self.input_encoder = ProbeEncoder(algorithm, Stage.INPUT, hidden)
        self.processor = build_processor(processor, hidden, granola=granola, cgp=cgp)
        self.output_decoder = ProbeDecoder(algorithm, Stage.OUTPUT, hidden)

    def encode(self, batch: Batch) -> EncodedGraph:
        node, edge, graph = self.input_encoder(batch)
        return EncodedGraph(node, edge, graph, batch.edge_index, batch.batch, batch.num_graphs)

    def processor_graph(self, graph: EncodedGraph) -> EncodedGraph:
        """What the processor runs on: with ``cgp`` the virtual nodes and Cayley edges are added,
        with ``granola`` the random node features. Built once per forward, so that every step
        of a rollout or solve sees the same graph (a fixed-point map must not change between
        calls); evaluation draws the features from a fixed seed."""
        if self.cgp:
            graph = with_cayley_nodes(graph)
        if self.granola:
            graph = with_random_features(graph, deterministic=not self.training)
        return graph

    def latent(self, batch: Batch, graph: EncodedGraph) -> tuple[torch.Tensor, dict, Report]:
        """Final node states ``[graph.num_nodes, H]`` (``graph``: the processor's, whose first rows
        are the input nodes), auxiliary losses, diagnostics (a dict or the solve's info)."""
        raise NotImplementedError

    def forward(self, batch: Batch) -> Prediction:
        graph = self.encode(batch)
        processor_graph = self.processor_graph(graph)
        h, aux, report = self.latent(batch, processor_graph)
        aux |= self.extra_losses(batch, graph, processor_graph, report)
        h = h[: graph.num_nodes]  # CGP's virtual nodes are not decoded
        return Prediction(self.output_decoder(h, graph), graph, h, aux, report)

    def extra_losses(self, batch: Batch, graph: EncodedGraph, processor_graph: EncodedGraph,
                     report: Report) -> dict[str, torch.Tensor]:
        """Training losses that decode more than the final state (none by default)."""
        return {}

    def output_specs(self) -> dict[str, tuple[str, str, str]]:
        return {k: v for k, v in SPECS[self.algorithm].items() if v[0] == Stage.OUTPUT}

    def loss(self, batch: Batch, prediction: Prediction) -> tuple[torch.Tensor, dict[str, float]]:
        """Sum of output losses and auxiliary losses, and each part for logging."""
        parts = self.output_losses(batch, prediction.outputs, prediction.graph)
        parts.update(prediction.aux_losses)
        total = torch.stack(list(parts.values())).sum()
        return total, {name: float(value.detach()) for name, value in parts.items()}

    def output_losses(self, batch: Batch, outputs: dict[str, torch.Tensor], graph: EncodedGraph) -> dict[str, torch.Tensor]:
        """CLRS's loss of each output probe (MSE, BCE, cross-entropy by type)."""
        return {
            name: probe_loss(outputs[name], batch[probe_key(Stage.OUTPUT, name)], loc, kind, graph)
            for name, (_, loc, kind) in self.output_specs().items()
        }

    def statistics(self, batch: Batch, prediction: Prediction) -> dict[str, dict[str, float]]:
        """Per-output-probe metric statistics of one batch."""
        return {
            name: probe_statistics(
                prediction.outputs[name], batch[probe_key(Stage.OUTPUT, name)], loc, kind, prediction.graph
            )
            for name, (_, loc, kind) in self.output_specs().items()
        }
