"""``reset_parameters()`` re-initialises as construction does: under the same seed, a module whose
weights were overwritten and then reset equals a freshly built one, weight for weight, and the
random stream is left where construction leaves it (so nothing built after it changes)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import torch
from torch import nn

from dear.config import MODELS, make_config
from dear.models import build_model
from dear.nn.decoders import EdgeHead, EdgePointerHead, GraphHead, NodeHead, PointerHead, ProbeDecoder
from dear.nn.encoders import ProbeEncoder
from dear.nn.permutation import PermutationHead
from dear.nn.processors import PROCESSORS, build_processor
from dear.specs import Stage

HIDDEN = 8
#: Between them, every probe type at every location, as inputs, hints and outputs.
ALGORITHMS = ("bfs", "floyd_warshall", "insertion_sort", "dfs", "mst_kruskal", "binary_search",
              "strongly_connected_components")


def assert_reset_equals_construction(build: Callable[[], nn.Module]) -> None:
    torch.manual_seed(7)
    fresh = build()
    after_construction = torch.get_rng_state()

    torch.manual_seed(8)
    module = build()
    generator = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype))
    expected = fresh.state_dict()
    changed = {name for name, value in module.state_dict().items() if not torch.equal(value, expected[name])}
    assert changed == {name for name, _ in module.named_parameters()}  # the test can see a missed weight

    torch.manual_seed(7)
    module.reset_parameters()
    assert torch.equal(torch.get_rng_state(), after_construction), "reset draws differently from construction"
    state = module.state_dict()
    assert state.keys() == expected.keys()
    differ = [name for name in state if not torch.equal(state[name], expected[name])]
    assert differ == []


@pytest.mark.parametrize(("name", "granola", "cgp"),
                         list(itertools.product(PROCESSORS, (False, True), (False, True))))
def test_processor(name: str, granola: bool, cgp: bool) -> None:
    assert_reset_equals_construction(lambda: build_processor(name, HIDDEN, granola=granola, cgp=cgp))


@pytest.mark.parametrize(("algorithm", "stage"),
                         list(itertools.product(ALGORITHMS, (Stage.INPUT, Stage.HINT))))
def test_encoder(algorithm: str, stage: str) -> None:
    assert_reset_equals_construction(lambda: ProbeEncoder(algorithm, stage, HIDDEN))


@pytest.mark.parametrize(("algorithm", "stage"),
                         list(itertools.product(ALGORITHMS, (Stage.OUTPUT, Stage.HINT))))
def test_decoder(algorithm: str, stage: str) -> None:
    assert_reset_equals_construction(lambda: ProbeDecoder(algorithm, stage, HIDDEN))


def test_the_decoders_above_cover_every_head() -> None:
    built = {type(head) for algorithm, stage in itertools.product(ALGORITHMS, (Stage.OUTPUT, Stage.HINT))
             for head in ProbeDecoder(algorithm, stage, HIDDEN).heads.values()}
    assert built == {NodeHead, EdgeHead, GraphHead, PointerHead, EdgePointerHead, PermutationHead}


MODEL_CASES = [(algorithm, {"model": model}) for algorithm in ("bfs", "floyd_warshall", "insertion_sort")
               for model in MODELS] + [
    ("bfs", {"model": "dear", "processor": "triplet", "granola": True, "cgp": True}),
    ("dfs", {"model": "nar-lt", "granola": True}),
    ("mst_kruskal", {"model": "nar-hints", "processor": "triplet"}),
    ("binary_search", {"model": "dem", "processor": "triplet"}),
]


@pytest.mark.parametrize(("algorithm", "options"), MODEL_CASES)
def test_model(algorithm: str, options: dict) -> None:
    assert_reset_equals_construction(lambda: build_model(make_config(algorithm, "smoke", **options)))


def test_every_module_of_ours_with_parameters_defines_reset_parameters() -> None:
    """Not just reset by its parent: each layer can be reset on its own, as in PyG."""
    torch.manual_seed(0)
    models = [build_model(make_config(algorithm, "smoke", **options)) for algorithm, options in MODEL_CASES]
    for module in itertools.chain.from_iterable(model.modules() for model in models):
        if type(module).__module__.startswith("dear.") and any(True for _ in module.parameters()):
            assert callable(getattr(type(module), "reset_parameters", None)), type(module).__name__
