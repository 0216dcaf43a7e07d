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
    r"""Spec-driven encoder, a processor, spec-driven output decoder (CLRS-30's
    encode-process-decode blueprint):

    .. math::
        (\mathbf{n}, \mathbf{e}, \mathbf{g}) &= \mathrm{Enc}(\mathbf{x})

        \mathbf{H} &= \mathrm{latent}(\mathbf{n}, \mathbf{e}, \mathbf{g})

        \mathbf{y}_p &= \mathrm{Dec}_p\big([\mathbf{n} \,\|\, \mathbf{H}], \mathbf{e}, \mathbf{g}\big)

    where a subclass says how :meth:`latent` finds the state from the processor (NAR unrolls
    it, DEAR and DEM solve for its fixed point), :math:`\mathrm{Enc}` is a
    :class:`~dear.nn.encoders.ProbeEncoder` of the inputs and :math:`\mathrm{Dec}` a
    :class:`~dear.nn.decoders.ProbeDecoder` of the outputs. The model follows its parameters'
    dtype: after ``model.double()`` it runs in float64 on the same batches.

    Args:
        algorithm (str): The algorithm whose probe specs drive the encoder and decoder.
        hidden (int, optional): Width :math:`H` of the state and of the encodings. (default: :obj:`128`)
        processor (str, optional): A name in :data:`~dear.nn.processors.PROCESSORS`. (default: :obj:`"mpnn"`)
        granola (bool, optional): GRANOLA's norm in the processor. (default: :obj:`False`)
        cgp (bool, optional): Cayley Graph Propagation after each processor step. (default: :obj:`False`)

    Shapes:
        - **input:** a PyG batch of :math:`N` nodes, :math:`E` edges and :math:`G` graphs
          (:func:`dear.data.batching.collate`) with the input and output probes, ``length``
          :math:`(G)` and, for hint-supervised models, the hints
        - **output:** a :class:`Prediction`: ``outputs`` as the decoder returns them,
          ``latent`` :math:`(N, H)`, ``aux_losses`` scalars
    """

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

    def reset_parameters(self) -> None:
        """Re-initialise every weight as construction does: under the same seed, a reset model
        equals a freshly built one (``tests/test_reset_parameters.py``)."""
        self.input_encoder.reset_parameters()
        self.processor.reset_parameters()
        self.output_decoder.reset_parameters()

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
