"""Models follow their parameters' dtype: after ``model.double()`` a float32 batch runs forward
and backward in float64 (the encoders cast the probes), and a DEAR's implicit gradient then
matches finite differences to float64 accuracy."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from dear.config import make_config
from dear.data import generate
from dear.data.batching import collate
from dear.models import build_model
from dear.nn.permutation import PermutationScores


class Downcasts(TorchDispatchMode):
    """Records every op that turns a float64 input into a lower-precision floating output."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        if any(t.dtype == torch.float64 for t in inputs):
            outputs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
            if any(t.is_floating_point() and t.dtype != torch.float64 for t in outputs):
                self.seen.append(str(func))
        return out


def _tensors(outputs: dict) -> list[torch.Tensor]:
    found = []
    for value in outputs.values():
        found += [value.log_perm, value.first] if isinstance(value, PermutationScores) else [value]
    return found


@pytest.mark.parametrize(
    ("algorithm", "options"),
    [
        ("bfs", {"model": "dear"}),
        ("bfs", {"model": "dear", "processor": "triplet", "granola": True, "cgp": True,
                 "jacobian_weight": 0.1, "correction_states": 1}),
        ("floyd_warshall", {"model": "nar-hints"}),
        ("insertion_sort", {"model": "nar-lt"}),
        ("bellman_ford", {"model": "dem"}),
    ],
)
def test_a_double_model_runs_a_float32_batch_in_float64(algorithm: str, options: dict) -> None:
    torch.manual_seed(0)
    model = build_model(make_config(algorithm, "smoke", max_iter=5, **options)).double().train()
    batch = collate(generate(algorithm, 2, (4, 5), seed=0), hints=model.uses_hints)
    with Downcasts() as mode:
        prediction = model(batch)
        loss, _ = model.loss(batch, prediction)
        loss.backward()
    assert mode.seen == []
    assert loss.dtype == prediction.latent.dtype == torch.float64
    assert all(t.dtype == torch.float64 for t in _tensors(prediction.outputs))
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(g.dtype == torch.float64 for g in grads)
    model.eval()
    with torch.no_grad():
        assert model.statistics(batch, model(batch))


def test_dear_implicit_gradient_matches_finite_differences_in_float64() -> None:
    """A fixed-point solve to a relative residual of 1e-13 and an IFT backward whose adjoint
    solve is as tight give gradients that central differences match to ~1e-9 relative (float32
    could not get below ~1e-3); the tolerance leaves three orders of magnitude of headroom."""
    torch.manual_seed(0)
    config = make_config(
        "bfs", "smoke", model="dear", solver="fixed_point", tol=1e-13, max_iter=3000,
        backward="ift", backward_tol=1e-13, backward_max_iter=3000,
    )
    model = build_model(config).double().train()
    batch = collate(generate("bfs", 2, (4, 5), seed=0), hints=False)

    prediction = model(batch)
    loss, _ = model.loss(batch, prediction)
    assert bool(prediction.solver.converged.all()) and bool(prediction.solver.implicit.all())
    parameters = dict(model.named_parameters())
    probes = [  # an encoder, two processor and a decoder weight
        ("input_encoder.linears.s.weight", (3, 0)),
        ("processor.sender.weight", (1, 2)),
        ("processor.update.out_z.weight", (3, 5)),
        ("output_decoder.heads.pi.out.weight", (0, 1)),
    ]
    grads = torch.autograd.grad(loss, [parameters[name] for name, _ in probes])
    assert prediction.solver.backward is not None and bool(prediction.solver.backward.converged.all())

    def loss_value() -> float:
        with torch.no_grad():
            return float(model.loss(batch, model(batch))[0])

    eps = 1e-6
    for (name, index), grad in zip(probes, grads):
        weight = parameters[name]
        with torch.no_grad():
            weight[index] += eps
            up = loss_value()
            weight[index] -= 2 * eps
            down = loss_value()
            weight[index] += eps
        numeric = (up - down) / (2 * eps)
        assert abs(grad[index].item()) > 1e-4, name  # a weight the loss really depends on
        assert numeric == pytest.approx(grad[index].item(), rel=1e-6, abs=1e-12), name
