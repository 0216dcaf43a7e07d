"""The segment max every processor aggregates with: PyG's values, torch's gradients, faster."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.utils import scatter

from dear.nn.graph import segment_max


def _inputs(ties: bool, dims: tuple[int, ...] = (5,)) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    src = torch.randn(40, *dims, generator=generator, dtype=torch.float64)
    if ties:  # few distinct values: many tied maxima within a segment
        src = src.mul(1.5).round() + 0.25  # no maximum of exactly 0: see the test below
    index = torch.randint(0, 9, (40,), generator=generator)
    index[index == 4] = 3  # segment 4 gets no rows
    return src, index


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("dims", [(), (5,), (3, 2)])
def test_segment_max_matches_pyg_scatter_in_value_and_gradient(ties: bool, dims: tuple[int, ...]) -> None:
    src, index = _inputs(ties, dims)
    weights = torch.randn(10, *dims, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ours_src, theirs_src = src.clone().requires_grad_(), src.clone().requires_grad_()
    ours, theirs = segment_max(ours_src, index, 10), scatter(theirs_src, index, dim=0, dim_size=10, reduce="max")
    assert torch.equal(ours, theirs)
    assert torch.equal(ours[4], torch.zeros(dims, dtype=torch.float64))  # empty segment
    (ours * weights).sum().backward()
    (theirs * weights).sum().backward()
    torch.testing.assert_close(ours_src.grad, theirs_src.grad, rtol=0, atol=1e-15)


def test_segment_max_tied_maxima_share_the_gradient() -> None:
    src = torch.tensor([[2.0], [2.0], [1.0]], requires_grad=True)
    segment_max(src, torch.tensor([0, 0, 0]), 1).sum().backward()
    assert src.grad.flatten().tolist() == [0.5, 0.5, 0.0]


def test_segment_max_keeps_the_whole_gradient_when_the_maximum_is_zero() -> None:
    # torch's scatter_reduce backward also counts the zero it starts from as a tied maximum and
    # hands each row 1/(k+1) of the gradient; ours keeps it whole.
    src = torch.tensor([[0.0], [-1.0]], requires_grad=True)
    segment_max(src, torch.tensor([0, 0]), 1).sum().backward()
    assert src.grad.flatten().tolist() == [1.0, 0.0]


def test_segment_max_passes_gradcheck_and_second_order() -> None:
    src, index = _inputs(ties=False)
    src.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: segment_max(x, index, 10), (src,))
    # Jacobian regularisation differentiates a vector-Jacobian product again.
    assert torch.autograd.gradgradcheck(lambda x: segment_max(x, index, 10) ** 2, (src,))
