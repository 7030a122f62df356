"""Layer 1 ladder: hand-computed values, gradcheck in float64, numerical safety."""

import math

import pytest
import torch
from torch.autograd import gradcheck
from torch.testing import assert_close

from attnmem.attention import (
    circular_shift,
    content_weights,
    cosine_similarity,
    dot_product_weights,
    erase_add_write,
    interpolate,
    sharpen,
    soft_read,
)


def t(x):
    return torch.tensor(x, dtype=torch.float32)


# --- hand-computed examples ---------------------------------------------------


def test_cosine_similarity_by_hand():
    key = t([[[2.0, 0.0]]])  # (1, 1, 2)
    memory = t([[[1.0, 0.0], [0.0, 3.0], [1.0, 1.0]]])  # (1, 3, 2)
    assert_close(
        cosine_similarity(key, memory), t([[[1.0, 0.0, 1 / math.sqrt(2)]]]), atol=1e-5, rtol=0
    )


def test_content_weights_by_hand():
    # similarities 1 and 0; with beta = ln 3 the weights are 3:1.
    key = t([[[2.0, 0.0]]])
    memory = t([[[1.0, 0.0], [0.0, 1.0]]])
    w = content_weights(key, memory, t([[math.log(3.0)]]))
    assert_close(w, t([[[0.75, 0.25]]]), atol=1e-5, rtol=0)


def test_dot_product_weights_by_hand():
    q = t([[[1.0, 1.0]]])
    k = t([[[1.0, 1.0], [0.0, 0.0]]])
    # logits 2/sqrt(2) = sqrt(2) and 0.
    e = math.exp(math.sqrt(2))
    assert_close(dot_product_weights(q, k), t([[[e / (e + 1), 1 / (e + 1)]]]))


def test_interpolate_by_hand():
    w = interpolate(t([[[1.0, 0.0, 0.0]]]), t([[[0.0, 0.0, 1.0]]]), t([[0.25]]))
    assert_close(w, t([[[0.25, 0.0, 0.75]]]))


@pytest.mark.parametrize(
    "kernel, expected",
    [
        ([0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]),  # no shift
        ([0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]),  # +1: one row forward
        ([1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]),  # -1: one row back
        ([0.5, 0.0, 0.5], [0.5, 0.0, 0.5, 0.0]),  # split
    ],
)
def test_circular_shift_by_hand(kernel, expected):
    w = t([[[0.0, 1.0, 0.0, 0.0]]])
    assert_close(circular_shift(w, t([[kernel]])), t([[expected]]))


def test_circular_shift_wraps_around():
    w = t([[[0.0, 0.0, 0.0, 1.0]]])
    assert_close(circular_shift(w, t([[[0.0, 0.0, 1.0]]])), t([[[1.0, 0.0, 0.0, 0.0]]]))
    w = t([[[1.0, 0.0, 0.0, 0.0]]])
    assert_close(circular_shift(w, t([[[1.0, 0.0, 0.0]]])), t([[[0.0, 0.0, 0.0, 1.0]]]))


def test_circular_shift_matches_slow_loop():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(2, 3, 7, generator=g).softmax(-1)
    s = torch.rand(2, 3, 5, generator=g).softmax(-1)
    slow = torch.zeros_like(w)
    for i in range(7):
        for k in range(5):  # shift k - 2
            slow[..., i] += w[..., (i - (k - 2)) % 7] * s[..., k]
    assert_close(circular_shift(w, s), slow)


def test_circular_shift_rejects_bad_kernel():
    with pytest.raises(ValueError, match="odd"):
        circular_shift(torch.ones(1, 1, 4) / 4, torch.ones(1, 1, 2) / 2)


def test_sharpen_by_hand():
    w = sharpen(t([[[0.5, 0.25, 0.25]]]), t([[2.0]]))
    assert_close(w, t([[[2 / 3, 1 / 6, 1 / 6]]]))


def test_soft_read_by_hand():
    memory = t([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    assert_close(soft_read(t([[[0.5, 0.5, 0.0]]]), memory), t([[[2.0, 3.0]]]))


def test_erase_add_write_by_hand():
    memory = torch.ones(1, 2, 2)
    out = erase_add_write(memory, t([[[1.0, 0.0]]]), t([[[1.0, 0.0]]]), t([[[0.0, 2.0]]]))
    assert_close(out, t([[[0.0, 3.0], [1.0, 1.0]]]))
    out = erase_add_write(memory, t([[[0.5, 0.5]]]), t([[[1.0, 0.0]]]), t([[[0.0, 2.0]]]))
    assert_close(out, t([[[0.5, 2.0], [0.5, 2.0]]]))


def test_erase_add_write_two_heads_multiply_erasures_and_sum_adds():
    memory = torch.ones(1, 2, 2)
    w = t([[[1.0, 0.0], [1.0, 0.0]]])  # both heads on row 0
    out = erase_add_write(memory, w, t([[[0.5, 0.0], [0.5, 0.0]]]), t([[[1.0, 0.0], [0.0, 1.0]]]))
    assert_close(out, t([[[0.25 + 1.0, 2.0], [1.0, 1.0]]]))


# --- gradcheck (float64) --------------------------------------------------------


def _rand(*shape, positive=False):
    x = torch.randn(*shape, dtype=torch.float64)
    return (x.abs() + 0.5 if positive else x).requires_grad_()


def test_gradcheck_content_weights():
    torch.manual_seed(0)
    assert gradcheck(content_weights, (_rand(2, 3, 4), _rand(2, 5, 4), _rand(2, 3, positive=True)))


def test_gradcheck_dot_product_weights():
    torch.manual_seed(0)
    assert gradcheck(dot_product_weights, (_rand(2, 3, 4), _rand(2, 5, 4)))


def test_gradcheck_interpolate_shift_sharpen():
    torch.manual_seed(0)
    w = torch.rand(2, 3, 6, dtype=torch.float64).softmax(-1).requires_grad_()
    prev = torch.rand(2, 3, 6, dtype=torch.float64).softmax(-1).requires_grad_()
    gate = torch.rand(2, 3, dtype=torch.float64).requires_grad_()
    shift = torch.rand(2, 3, 3, dtype=torch.float64).softmax(-1).requires_grad_()
    gamma = (1 + torch.rand(2, 3, dtype=torch.float64) * 3).requires_grad_()
    assert gradcheck(interpolate, (w, prev, gate))
    assert gradcheck(circular_shift, (w, shift))
    assert gradcheck(sharpen, (w, gamma))


def test_gradcheck_read_write():
    torch.manual_seed(0)
    memory = _rand(2, 5, 4)
    assert gradcheck(soft_read, (torch.rand(2, 2, 5, dtype=torch.float64).requires_grad_(), memory))
    for heads in (1, 2):
        w = torch.rand(2, heads, 5, dtype=torch.float64).requires_grad_()
        e = torch.rand(2, heads, 4, dtype=torch.float64).requires_grad_()
        assert gradcheck(erase_add_write, (memory, w, e, _rand(2, heads, 4)))


# --- numerical safety -----------------------------------------------------------


def _finite(*tensors):
    return all(torch.isfinite(x).all() for x in tensors)


@pytest.mark.parametrize("beta", [0.0, 1.0, 1e4, 1e8])
def test_content_weights_safe_on_zero_memory_zero_key_extreme_beta(beta):
    memory = torch.zeros(2, 4, 3, requires_grad=True)
    key = torch.zeros(2, 1, 3, requires_grad=True)
    b = torch.full((2, 1), beta, requires_grad=True)
    w = content_weights(key, memory, b)
    w.pow(2).sum().backward()
    assert _finite(w, memory.grad, key.grad, b.grad)
    assert_close(w.sum(-1), torch.ones(2, 1))
    # a real key against a half-zero memory with extreme beta
    memory = torch.cat([torch.zeros(2, 2, 3), torch.randn(2, 2, 3)], 1).requires_grad_()
    key = torch.randn(2, 1, 3, requires_grad=True)
    w = content_weights(key, memory, b)
    w.pow(2).sum().backward()
    assert _finite(w, memory.grad, key.grad)


@pytest.mark.parametrize("gamma", [1.0, 50.0, 1e3, 1e6])
def test_sharpen_safe_on_zero_weights_and_extreme_gamma(gamma):
    w = torch.tensor([[[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], requires_grad=True)
    g = torch.full((1, 2), gamma, requires_grad=True)
    out = sharpen(w, g)
    (out * torch.arange(4.0)).sum().backward()
    assert _finite(out, w.grad, g.grad)
    assert_close(out.sum(-1), torch.ones(1, 2))


def test_read_write_safe_on_saturated_gates():
    memory = torch.zeros(1, 3, 2, requires_grad=True)
    w = torch.tensor([[[1.0, 0.0, 0.0]]], requires_grad=True)
    out = erase_add_write(memory, w, torch.ones(1, 1, 2), torch.full((1, 1, 2), 1e6))
    r = soft_read(w, out)
    r.sum().backward()
    assert _finite(out, r, memory.grad, w.grad)
