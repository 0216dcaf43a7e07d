"""The encoded problem a processor runs on, and segment operations over its graphs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch_geometric.utils import softmax


#: Which rows (nodes or edges) a processor step touches: :data:`ALL_ROWS` (``slice(None)``)
#: when it touches all of them, so that selecting them is a free view; else an index tensor.
Rows = torch.Tensor | slice
ALL_ROWS = slice(None)

#: Largest per-edge block (elements) built at once at inference (no autograd), 8 MB of float32:
#: blocks this small are recycled by the allocator, while larger ones come as fresh memory that
#: is faulted in on every block (that made a Floyd–Warshall forward at n=128 twice as slow, and
#: cost a 10^4-node graph as much system time as arithmetic).
INFERENCE_BLOCK_ELEMENTS = 2**21


def inference_blocks(count: int, row_elements: int) -> list[slice]:
    """Consecutive row slices covering ``count`` rows of ``row_elements`` each: one slice with
    autograd on (every block would be kept for backward anyway), else blocks of at most
    :data:`INFERENCE_BLOCK_ELEMENTS`."""
    size = max(1, count if torch.is_grad_enabled() else INFERENCE_BLOCK_ELEMENTS // max(1, row_elements))
    return [slice(start, start + size) for start in range(0, count, size)] or [slice(0, 0)]


def put_rows(base: torch.Tensor, rows: Rows, values: torch.Tensor) -> torch.Tensor:
    """``base`` with ``values`` in ``rows`` (out of place; ``values`` itself for all rows)."""
    return values if isinstance(rows, slice) else base.index_copy(0, rows, values)


@dataclass
class EncodedGraph:
    """Encoded inputs of a batch: what every processor step sees besides the state ``h``."""

    node: torch.Tensor  # [N, H]
    edge: torch.Tensor  # [E, H]
    graph: torch.Tensor  # [G, H]
    edge_index: torch.Tensor  # [2, E] sender, receiver
    batch: torch.Tensor  # [N] graph of each node
    num_graphs: int
    rnf: torch.Tensor | None = None  # [N, H] GRANOLA's random node features, drawn once per forward
    #: Per-graph constants of the processor (terms that read only the encoded inputs), computed
    #: once per forward instead of once per step. Not an init field: a ``replace``d graph, whose
    #: features differ, starts empty.
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def constant(self, owner: object, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """``compute()``, cached for this graph, ``owner`` and autograd mode (a term computed
        under ``no_grad`` in a solver's forward iterations must not stand in for one with grad)."""
        key = (id(owner), torch.is_grad_enabled())
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def num_nodes(self) -> int:
        return self.node.shape[0]

    @property
    def edge_batch(self) -> torch.Tensor:
        return self.batch[self.edge_index[1]]


class _SegmentMax(torch.autograd.Function):
    """Forward as ``scatter(..., reduce="max")``; backward in a third of the time of torch's
    generic ``scatter_reduce`` backward (which also builds the unused gradient of the zero-filled
    tensor it reduces into, and was a fifth of a NAR training step on CPU). The gradient is
    torch's, split evenly among tied maxima, except where a maximum is exactly 0: torch counts
    the zero it started from as one more tie and drops that share; here it is kept."""

    @staticmethod
    def forward(ctx, src: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
        wide = index.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
        out = src.new_zeros((num_segments, *src.shape[1:]))
        out.scatter_reduce_(0, wide, src, reduce="amax", include_self=False)  # empty segment: 0
        ctx.save_for_backward(wide, src, out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:
        wide, src, out = ctx.saved_tensors
        won = (src == out.gather(0, wide)).to(grad.dtype)
        ties = torch.zeros_like(out).scatter_add_(0, wide, won).clamp_min_(1.0)
        return (grad / ties).gather(0, wide).mul_(won), None, None


def segment_max(src: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Elementwise max of the rows of ``src`` in each group of equal ``index`` (``[num_segments,
    ...]``; a group without rows gets 0), as PyG's ``scatter(reduce="max")``."""
    return _SegmentMax.apply(src, index, num_segments)


def segment_log_softmax(logits: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """``log softmax`` of ``logits`` within each group of equal ``index``."""
    return torch.log(softmax(logits, index, num_nodes=num_segments).clamp_min(1e-30))


def segment_argmax(values: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Position (into ``values``) of the largest value of each group; ties pick the first."""
    best = segment_max(values, index, num_segments)
    is_best = values == best[index]
    positions = torch.arange(values.shape[0], device=values.device)
    candidates = torch.where(is_best, positions, torch.full_like(positions, values.shape[0]))
    # torch's own reduce, not PyG's scatter: that asks torch.onnx whether it is exporting, and
    # the first ask imports torch.onnx (a quarter of a second of every `dear solve`)
    first = positions.new_zeros(num_segments)
    return first.scatter_reduce_(0, index, candidates, reduce="amin", include_self=False)  # empty: 0


def graph_max_pool(h: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    return segment_max(h, batch, num_graphs)


def graph_offsets(batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    """Global id of the first node of every graph (batches are sorted by graph)."""
    counts = torch.bincount(batch, minlength=num_graphs)
    return torch.cumsum(counts, 0) - counts


def local_node_index(batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    """Index of each node within its own graph."""
    return torch.arange(batch.shape[0], device=batch.device) - graph_offsets(batch, num_graphs)[batch]
