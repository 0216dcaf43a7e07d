"""The package's shape: no import cycles, algorithms named only in their records, and a new
algorithm that needs one record and one kernel to generate data, train and be scored."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dear.algorithms import REGISTRY, Algorithm, ArrayInputs, Execution
from dear.algorithms.record import register
from dear.algorithms.spec import ARRAY_INPUTS, H, M1, N, O
from dear.config import make_config
from dear.data import generate
from dear.run import evaluate_run
from dear.train import train

PACKAGE = Path(__file__).parents[1] / "src" / "dear"
#: Algorithm names outside the records: user-facing defaults and benchmark choices only.
MAX_NAME_LITERALS = 6


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every ``dear`` module ``path`` imports, deferred (in-function) imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def test_no_import_cycles() -> None:
    paths = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for module, path in paths.items():
        graph.add_edges_from((module, target) for target in _imports(path, set(paths)) if target != module)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_algorithms_are_named_only_in_their_records() -> None:
    names = set(REGISTRY)
    literals = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value}"
        for path in PACKAGE.rglob("*.py") if "algorithms" not in path.relative_to(PACKAGE).parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]
    assert len(literals) <= MAX_NAME_LITERALS, "\n".join(literals)


def test_every_record_is_consistent_with_its_specs() -> None:
    for name, record in REGISTRY.items():
        assert record.name == name
        assert record.is_graph == ("A" in record.specs), name
        if record.has_source:  # a source is a one-node input mask (other algorithms' "s" may be a scalar)
            assert record.specs["s"] == ("input", "node", "mask_one"), name
        assert record.clrs in REGISTRY and REGISTRY[record.clrs].clrs == record.clrs, name
        if record.answer is not None:
            assert record.output in record.specs  # the checked answer is its first output probe


# --- a toy algorithm: one kernel and one record -------------------------------------------------

def _running_max(key: np.ndarray) -> Execution:
    best = np.maximum.accumulate(key)
    argmax = np.array([int(np.flatnonzero(key[: i + 1] == best[i])[0]) for i in range(key.size)])
    steps = np.eye(key.size)[argmax]
    return Execution(hints={"max_h": steps}, outputs={"max": steps[-1].copy()})


TOY = Algorithm(
    name="toy_maximum",
    title="Maximum (a test's toy)",
    kernel=_running_max,
    specs={**ARRAY_INPUTS, "max": (O, N, M1), "max_h": (H, N, M1)},
    inputs=ArrayInputs(),
    answer=None,
    t_grows=False,
    clrs="toy_maximum",
)


@pytest.fixture
def toy() -> Algorithm:
    register(TOY)
    yield TOY
    del REGISTRY[TOY.name]


def test_a_new_algorithm_needs_only_its_record_and_kernel(toy: Algorithm, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEAR_CACHE", str(tmp_path / "cache"))
    (sample,) = generate(toy.name, 1, 6, seed=0)
    key = sample.inputs["key"]
    assert np.argmax(sample.outputs["max"]) == np.argmax(key) and sample.length == 6
    config = make_config(toy.name, "smoke", model="nar", steps=5)
    train(config, tmp_path / "run", progress=False)
    scores, path = evaluate_run(tmp_path / "run", sizes=(6,), samples=4)
    assert 0.0 <= scores["6"]["score"] <= 1.0 and json.loads(path.read_text())["6"]["score"] == scores["6"]["score"]
