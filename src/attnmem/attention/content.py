"""Content-based addressing: attend to the items that look like a key.

Shapes: ``B`` batch, ``H`` heads, ``N`` memory rows (items), ``M`` row width.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Added to the norms in cosine similarity so a zero key or an all-zero memory row
# (the usual state of a fresh memory) gives similarity 0 instead of 0/0.
COSINE_EPSILON = 1e-6


def cosine_similarity(keys: Tensor, memory: Tensor, eps: float = COSINE_EPSILON) -> Tensor:
    """K[k, M_i] = k . M_i / (||k|| ||M_i|| + eps)   (Graves et al. 2014, eq. 6)

    keys (B, H, M), memory (B, N, M) -> (B, H, N).
    """
    dot = torch.bmm(keys, memory.transpose(1, 2))  # (B, H, N)
    key_norm = keys.norm(dim=-1, keepdim=True)  # (B, H, 1)
    row_norm = memory.norm(dim=-1).unsqueeze(1)  # (B, 1, N)
    return dot / (key_norm * row_norm + eps)


def content_weights(keys: Tensor, memory: Tensor, beta: Tensor) -> Tensor:
    """w^c_i = exp(beta K[k, M_i]) / sum_j exp(beta K[k, M_j])   (NTM eq. 5)

    keys (B, H, M), memory (B, N, M), beta (B, H) key strength >= 0 -> (B, H, N).
    The softmax runs in float32 at least, whatever the input dtype.
    """
    similarity = cosine_similarity(keys, memory)
    logits = beta.unsqueeze(-1) * similarity
    dtype = torch.promote_types(logits.dtype, torch.float32)
    return torch.softmax(logits.to(dtype), dim=-1).to(keys.dtype)


def dot_product_weights(queries: Tensor, keys: Tensor, *, scale: float | None = None) -> Tensor:
    """w_i = softmax_i(s q . k_i) with s = 1/sqrt(M) by default (scaled dot product).

    queries (B, H, M), keys (B, N, M) -> (B, H, N).
    """
    if scale is None:
        scale = queries.shape[-1] ** -0.5
    logits = torch.bmm(queries, keys.transpose(1, 2)) * scale
    dtype = torch.promote_types(logits.dtype, torch.float32)
    return torch.softmax(logits.to(dtype), dim=-1).to(queries.dtype)
