"""Multi-head scaled dot-product attention (Vaswani et al. 2017, sec. 3.2).

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

computed per head on queries ``q`` (B, H, T, D), keys ``k`` and values ``v`` (B, H, S, D).
Two paths compute the same thing:

- :func:`scaled_dot_product` is the fast path, ``F.scaled_dot_product_attention`` (a fused
  kernel that never materialises the (T, S) weights);
- :func:`scaled_dot_product_reference` is the explicit path, matmul + softmax, which also
  returns the weights (B, H, T, S): ``trace`` uses it, and tests check the two agree.

Masks are boolean, True where a query may attend to a key, broadcastable to (B, H, T, S);
:func:`key_padding_mask` turns a (B, S) mask of present keys (e.g. memory slots that hold
a sentence) into one. A query row with no key to attend to gets weights 0 and output 0
on both paths (the fused kernel alone would give NaN).

Shapes: ``B`` batch, ``H`` heads, ``T`` queries, ``S`` keys, ``D`` head width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "attention_weights",
    "key_padding_mask",
    "scaled_dot_product",
    "scaled_dot_product_reference",
]


def key_padding_mask(present: Tensor) -> Tensor:
    """present (B, S) bool, True at keys that exist -> (B, 1, 1, S) attention mask."""
    if present.dim() != 2 or present.dtype != torch.bool:
        raise ValueError(
            f"present must be a (B, S) bool tensor, got {present.dtype} {tuple(present.shape)}"
        )
    return present[:, None, None, :]  # (B, 1, 1, S)


def _check(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        raise ValueError(
            f"q, k, v must be (B, H, T|S, D), got {tuple(q.shape)}, {tuple(k.shape)}, "
            f"{tuple(v.shape)}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[:-1] != v.shape[:-1]:
        raise ValueError(
            f"q {tuple(q.shape)} and k {tuple(k.shape)} need the same head width, "
            f"k and v {tuple(v.shape)} the same (B, H, S)"
        )


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    """a_ts = softmax_s(q_t . k_s / sqrt(D))   (Vaswani et al. 2017, eq. 1), per head.

    Keys where ``mask`` is False get weight exactly 0; a row with no key at all gets all
    zeros, not NaN. The softmax runs in float32 at least.

    q (B, H, T, D), k (B, H, S, D), mask broadcastable to (B, H, T, S) bool -> (B, H, T, S).
    """
    scores = q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5  # (B, H, T, S)
    wide = scores.to(torch.promote_types(scores.dtype, torch.float32))
    if mask is not None:
        wide = wide.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(wide, dim=-1).nan_to_num(0.0)  # all-masked row -> 0, not NaN
    return weights.to(q.dtype)


def scaled_dot_product_reference(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Explicit path: out_t = sum_s a_ts v_s with a = :func:`attention_weights`.

    q (B, H, T, D), k, v (B, H, S, D), mask (see module) -> out (B, H, T, D), a (B, H, T, S).
    """
    _check(q, k, v)
    weights = attention_weights(q, k, mask)  # (B, H, T, S)
    return weights @ v, weights  # (B, H, T, D)


def scaled_dot_product(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Fast path: ``F.scaled_dot_product_attention``, with rows that have no key to attend
    to set to 0 as on the reference path.

    q (B, H, T, D), k, v (B, H, S, D), mask (see module) -> out (B, H, T, D).
    """
    _check(q, k, v)
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v)
    # The fused kernel gives NaN on a fully masked row (softmax of all -inf): let such
    # rows attend everywhere, then zero their output.
    has_key = mask.any(-1, keepdim=True)  # (B|1, H|1, T|1, 1)
    safe = mask | ~has_key  # broadcastable to (B, H, T, S)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe)  # (B, H, T, D)
    return out * has_key.to(out.dtype)
