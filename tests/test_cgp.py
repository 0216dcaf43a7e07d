"""Cayley Graph Propagation: the SL(2, Z_p) Cayley graphs, their virtual nodes, and DEAR with CGP
on graphs larger than the published code handled (it stopped at p = 5, i.e. 120 nodes)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.nn.cayley import batched_cayley_edges, cayley_edges, cayley_prime, group_elements, group_order
from dear.nn.granola import with_random_features
from dear.nn.graph import EncodedGraph
from dear.nn.processors import MPNN, CayleyPropagation
from dear.nn.processors.cgp import with_cayley_nodes
from tests.statistics_asserts import assert_statistics_cover_the_batch

PRIMES = (2, 3, 5, 7, 11, 13)


@pytest.mark.parametrize("p", PRIMES)
def test_group_is_all_of_sl2(p: int) -> None:
    elements = group_elements(p)
    assert len(elements) == group_order(p) == p * (p * p - 1)
    assert len(np.unique(elements.reshape(-1, 4), axis=0)) == len(elements)
    determinant = elements[:, 0, 0] * elements[:, 1, 1] - elements[:, 0, 1] * elements[:, 1, 0]
    assert (determinant % p == 1).all()
    assert (elements[0] == np.eye(2)).all()


@pytest.mark.parametrize("p", PRIMES)
def test_cayley_graph_is_four_regular_undirected_and_connected(p: int) -> None:
    sender, receiver = cayley_edges(p)
    size = group_order(p)
    assert (torch.bincount(sender, minlength=size) == 4).all()
    assert (torch.bincount(receiver, minlength=size) == 4).all()
    forward = sorted(zip(sender.tolist(), receiver.tolist()))
    assert forward == sorted(zip(receiver.tolist(), sender.tolist()))
    graph = nx.Graph(forward)
    assert graph.number_of_nodes() == size and nx.is_connected(graph)


def test_prime_is_the_smallest_that_fits_any_size() -> None:
    sizes = {1: 2, 6: 2, 7: 3, 120: 5, 121: 7, 200: 7, 1000: 11, 1320: 11, 1321: 13, 5000: 19}
    assert {n: cayley_prime(n) for n in sizes} == sizes


def _encoded(counts: list[int], hidden: int = 8) -> EncodedGraph:
    """Random encoded batch of ring graphs with ``counts`` nodes."""
    batch = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    start = torch.cumsum(torch.tensor(counts), 0) - torch.tensor(counts)
    rings = [torch.stack([torch.arange(n), torch.arange(1, n + 1) % n]) + s for n, s in zip(counts, start.tolist())]
    edge_index = torch.cat(rings, dim=1)
    return EncodedGraph(torch.randn(len(batch), hidden), torch.randn(edge_index.shape[1], hidden),
                        torch.randn(len(counts), hidden), edge_index, batch, len(counts))


def test_virtual_nodes_follow_the_real_ones_for_large_graphs() -> None:
    counts = [5, 200, 1000]
    graph = with_cayley_nodes(_encoded(counts))
    n = sum(counts)
    orders = [group_order(cayley_prime(c)) for c in counts]
    assert graph.real_nodes == n and graph.num_nodes == sum(orders)
    assert torch.bincount(graph.batch).tolist() == orders
    assert (graph.node[n:] == 0).all() and torch.equal(graph.real().batch, graph.batch[:n])
    sender, receiver = graph.cayley_edge_index
    assert torch.equal(graph.batch[sender], graph.batch[receiver])
    assert (torch.bincount(receiver, minlength=graph.num_nodes) == 4).all()
    # real node i of a graph is Cayley vertex i: identity's neighbours are the generators' ids
    first = graph.cayley_edge_index[:, sender == 0]
    assert torch.equal(first[1], cayley_edges(cayley_prime(5))[1, :4])


def test_random_features_must_come_after_the_virtual_nodes() -> None:
    with pytest.raises(ValueError, match="before drawing random node features"):
        with_cayley_nodes(with_random_features(_encoded([5]), deterministic=True))


def test_batched_edges_cover_tiny_graphs() -> None:
    edge_index, virtual_batch = batched_cayley_edges(torch.tensor([0, 1, 1]), 2)
    assert virtual_batch.tolist() == [0] * 5 + [1] * 4
    assert sorted(edge_index.unique().tolist()) == list(range(3 + 9))


def test_cgp_step_reaches_virtual_nodes_and_freezes_inactive_graphs() -> None:
    torch.manual_seed(0)
    graph = with_cayley_nodes(_encoded([4, 130]))
    processor = CayleyPropagation(MPNN(8))
    h = torch.randn(graph.num_nodes, 8)
    active = graph.batch == 1
    out = processor(h, graph, active)
    assert torch.equal(out[~active], h[~active])
    virtual = torch.arange(graph.num_nodes) >= graph.real_nodes
    assert not torch.isclose(out[active & virtual], h[active & virtual]).all(dim=1).any()
    assert torch.allclose(out[active], processor(h, graph)[active], atol=1e-6)
    with pytest.raises(TypeError, match="CayleyGraph"):
        processor(h[: graph.real_nodes], graph.real())


def test_dear_with_cgp_trains_on_small_graphs_and_evaluates_on_200_nodes() -> None:
    torch.manual_seed(0)
    model = build_model(make_config("bfs", "smoke", model="dear", cgp=True, max_iter=6, eval_max_iter=4))
    states = []
    original = model.processor.forward
    model.processor.forward = lambda h, graph, active=None: states.append(h.shape[0]) or original(h, graph, active)
    batch = collate(generate("bfs", 4, (4, 8), seed=0))
    prediction = model(batch)
    loss, _ = model.loss(batch, prediction)
    loss.backward()
    assert torch.isfinite(loss) and prediction.latent.shape[0] == batch.num_nodes
    assert set(states) == {sum(group_order(cayley_prime(int(n))) for n in batch.ptr.diff())}
    cgp = model.processor
    assert cgp.edge_embedding.grad is not None and cgp.edge_embedding.grad.abs().sum() > 0
    assert all(p.grad is not None for p in cgp.propagate.parameters())

    model.eval()
    large = collate(generate("bfs", 1, 200, seed=1))
    with torch.no_grad():
        prediction = model(large)
    assert prediction.outputs["pi"].shape[0] == large.edge_index.shape[1]
    assert prediction.solver.iterations.shape == (1,)


def test_nar_hints_rejects_cgp() -> None:
    with pytest.raises(ValueError, match="CGP"):
        build_model(make_config("bfs", "smoke", model="nar-hints", cgp=True))


@pytest.mark.parametrize("processor", ["mpnn", "triplet"])
@pytest.mark.parametrize("model_name", ["nar", "nar-lt", "dear"])
def test_models_train_and_evaluate_with_cgp_and_granola(model_name: str, processor: str) -> None:
    torch.manual_seed(0)
    config = make_config("bfs", "smoke", model=model_name, processor=processor, cgp=True, granola=True,
                         max_steps=4, max_iter=4, eval_max_iter=4)
    model = build_model(config)
    batch = collate(generate("bfs", 3, (4, 7), seed=0))
    loss, _ = model.loss(batch, model(batch))
    loss.backward()
    model.eval()
    with torch.no_grad():
        prediction = model(batch)
        assert_statistics_cover_the_batch(model, batch, prediction, model.statistics(batch, prediction))
