"""Probes are stored compact (int8 masks and one-hots, int16 pointers, float64 scalars): exactly the
values of the float encoding, the same batches, the same cache round trip, a fraction of the memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dear.data import generate
from dear.data.batching import collate
from dear.data.cache import load_trajectories, save_trajectories
from dear.data.compact import (
    INT16_NODES,
    compact,
    compact_probe,
    expand,
    expand_probe,
    float64_bytes,
    storage_dtype,
)
from dear.data.execute import run_reference
from dear.data.trajectory import Trajectory
from dear.specs import ALGORITHMS, CLRS_ALGORITHMS, SPECS, Type
from tests.conftest import REFERENCE_DIR
from tests.trajectory_asserts import assert_same_trajectories

#: Float encodings of each type, CLRS's -1 ("masked") entries included where CLRS uses them.
FLOAT_PROBES = {
    Type.SCALAR: np.array([[0.25, -1.5, 1e-9], [3.0, 0.0, -0.0]]),
    Type.MASK: np.array([[-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]]),  # bridges' is_bridge: -1 off the graph
    Type.MASK_ONE: np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    Type.CATEGORICAL: np.array([[[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]], [[-1.0, -1.0, -1.0], [0.0, 1.0, 0.0]]]),  # lcs's b
    Type.POINTER: np.array([[0.0, 2.0, 1.0], [2.0, 2.0, 0.0]]),
    Type.SHOULD_BE_PERMUTATION: np.array([1.0, 2.0, 0.0]),
}

DTYPES = {Type.SCALAR: np.float64, Type.MASK: np.int8, Type.MASK_ONE: np.int8, Type.CATEGORICAL: np.int8,
          Type.POINTER: np.int16, Type.SHOULD_BE_PERMUTATION: np.int16}


@pytest.mark.parametrize("kind", list(FLOAT_PROBES))
def test_each_type_round_trips_exactly(kind: str) -> None:
    values = FLOAT_PROBES[kind]
    stored = compact_probe(values, kind, num_nodes=3)
    assert stored.dtype == DTYPES[kind] == storage_dtype(kind, 3)
    back = expand_probe(stored)
    assert back.dtype == np.float64 and back.shape == values.shape
    assert np.array_equal(back, values)
    assert np.array_equal(compact_probe(back, kind, 3), stored)  # float -> compact -> float -> compact
    if kind != Type.SCALAR:
        assert stored.itemsize <= 2 and (stored == -1).sum() == (values == -1).sum()


def test_pointers_reach_every_node_index() -> None:
    last = np.array([0.0, INT16_NODES - 1.0])
    assert np.array_equal(expand_probe(compact_probe(last, Type.POINTER, INT16_NODES)), last)
    assert storage_dtype(Type.POINTER, INT16_NODES) == np.int16
    wide = np.array([0.0, 2.0**15, 2.0**20])
    stored = compact_probe(wide, Type.POINTER, 2**21)
    assert stored.dtype == np.int32 and np.array_equal(expand_probe(stored), wide)


def test_broadcast_axes_stay_broadcast() -> None:
    constant = np.broadcast_to(np.array([[1.0, 0.0], [0.0, 1.0]]), (50, 2, 2))  # SCC's A_t
    stored = compact_probe(constant, Type.MASK, 2)
    assert stored.strides[0] == 0 and stored.dtype == np.int8
    back = expand_probe(stored)
    assert back.strides[0] == 0 and np.array_equal(back, constant)


def test_views_of_half_used_buffers_are_copied_shared_ones_are_not() -> None:
    scratch = np.arange(60.0).reshape(5, 3, 4)  # as a kernel's [5, T, n] scratch array
    one_hots = np.zeros((2, 3, 4), np.int8)  # as ``i, j = mask_one(...)``: shared out whole
    trajectory = Trajectory(
        "minimum",
        {"pos": np.arange(4) / 4, "key": scratch[1, 0]},
        {"pred_h": scratch[0].copy(), "min_h": one_hots[0], "i": one_hots[1]},
        {"min": np.eye(4, dtype=np.int8)[2]},
        3,
    )
    assert trajectory.held_bytes > trajectory.stored_bytes  # key keeps the whole scratch array
    stored = compact(trajectory)
    assert stored.held_bytes == stored.stored_bytes
    assert stored.hints["min_h"].base is one_hots and stored.hints["i"].base is one_hots
    assert stored.inputs["key"].base is None and np.array_equal(stored.inputs["key"], scratch[1, 0])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_generated_probes_are_compact_and_equal_the_kernels_floats(algorithm: str) -> None:
    """Every probe of every algorithm is exactly representable (masked -1 entries included)."""
    for trajectory in generate(algorithm, 4, (4, 12), seed=5):
        floats = expand(trajectory)
        kernel = run_reference(algorithm, floats.inputs)  # the kernel's own output on these inputs
        assert trajectory.held_bytes == trajectory.stored_bytes  # no scratch buffer kept alive
        for stage in ("inputs", "hints", "outputs"):
            ours, theirs = getattr(trajectory, stage), getattr(kernel, stage)
            assert list(ours) == list(theirs)
            for name, values in ours.items():
                kind = SPECS[algorithm][name][2]
                assert values.dtype == storage_dtype(kind, trajectory.num_nodes), (stage, name)
                assert np.array_equal(expand_probe(values), np.asarray(theirs[name], dtype=np.float64)), (stage, name)


@pytest.mark.parametrize("algorithm", CLRS_ALGORITHMS)
def test_clrs_reference_values_are_representable(algorithm: str) -> None:
    """CLRS's own float trajectories (the golden fixtures) survive compaction exactly."""
    for reference in load_trajectories(REFERENCE_DIR / f"{algorithm}.npz", algorithm)[::6]:
        stored = compact(reference)
        for stage in ("inputs", "hints", "outputs"):
            for name, values in getattr(reference, stage).items():
                kept = getattr(stored, stage)[name]
                assert np.array_equal(expand_probe(kept), values.astype(np.float64)), (stage, name)


def _assert_bit_identical(batch: object, other: object) -> None:
    ours, theirs = batch.to_dict(), other.to_dict()
    assert ours.keys() == theirs.keys()
    for key, x in ours.items():
        y = theirs[key]
        if not torch.is_tensor(x):
            continue
        assert x.dtype == y.dtype and x.shape == y.shape and torch.equal(x, y), key
        if x.is_floating_point():  # bit for bit: no -0.0 where there was 0.0
            assert torch.equal(x.view(torch.int32), y.view(torch.int32)), key


@pytest.mark.parametrize(("algorithm", "sizes"), [
    ("bridges", (5, 12)), ("lcs_length", 9), ("optimal_bst", (4, 8)), ("matrix_chain_order", 7),
    ("mst_kruskal", (6, 10)), ("floyd_warshall", 6), ("strongly_connected_components", (5, 9)),
    ("insertion_sort", 8), ("dfs", 16),
])
def test_batches_are_bit_identical_to_batches_of_floats(algorithm: str, sizes: int | tuple[int, int]) -> None:
    """Compact storage changes nothing the models see: the same tensors as from the float64 probes."""
    trajectories = generate(algorithm, 3, sizes, seed=11, random_pos=True)
    floats = [expand(t) for t in trajectories]
    assert all(a.dtype == np.float64 for t in floats for s in (t.inputs, t.hints, t.outputs) for a in s.values())
    _assert_bit_identical(collate(trajectories), collate(floats))
    _assert_bit_identical(collate(trajectories, hints=False), collate(floats, hints=False))


def test_cache_files_keep_the_compact_dtypes(tmp_path: Path) -> None:
    trajectories = generate("bridges", 3, (5, 9), seed=2)
    path = tmp_path / "bridges.npz"
    save_trajectories(path, trajectories)
    with np.load(path, allow_pickle=False) as archive:
        assert archive["0/hint/is_bridge_h"].dtype == np.int8 and archive["0/hint/pi_h"].dtype == np.int16
        assert (archive["0/output/is_bridge"] == -1).any()  # CLRS's masked entries, kept
    assert_same_trajectories(load_trajectories(path, "bridges"), trajectories)
    _assert_bit_identical(collate(load_trajectories(path, "bridges")), collate([expand(t) for t in trajectories]))


#: Held bytes over float64 bytes measured at n = 64 (8 samples, CLRS's graph sampler p = 0.2):
#: bridges 0.165 (its T x n x n ``is_bridge_h`` int8), lcs_length 0.297 (the ``c`` table stays
#: float64: a scalar), mst_kruskal 0.129; bounds with a little room.
MEMORY_RATIOS = {"bridges": 0.2, "lcs_length": 0.32, "mst_kruskal": 0.15}


@pytest.mark.parametrize("algorithm", sorted(MEMORY_RATIOS))
def test_samples_hold_a_fraction_of_their_float64_bytes(algorithm: str) -> None:
    options = {"p": 0.2} if algorithm != "lcs_length" else {}
    trajectories = generate(algorithm, 4, 64, seed=0, **options)
    held = sum(t.held_bytes for t in trajectories)
    as_float64 = sum(float64_bytes(t) for t in trajectories)
    assert held <= MEMORY_RATIOS[algorithm] * as_float64


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_random_pos_gives_every_node_of_the_sample_one_position(algorithm: str) -> None:
    """The official profile's random positions match the sample's nodes, also where an algorithm
    fixes its own size (segments_intersect: 4 endpoints, whatever n: 12 positions broke its training)."""
    nodes = [name for name, (stage, location, _) in SPECS[algorithm].items() if stage == "input" and location == "node"]
    for trajectory in generate(algorithm, 2, 12, seed=3, random_pos=True):
        pos = trajectory.inputs["pos"]
        assert {trajectory.inputs[name].shape[0] for name in nodes} == {pos.size}
        assert (np.diff(pos) >= 0).sum() >= pos.size - 2  # sorted (within each string's part)
