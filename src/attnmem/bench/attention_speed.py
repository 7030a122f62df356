"""``attnmem bench attention-speed``: our multi-head attention against a naive one.

Both run the same :class:`attnmem.models.transformer.MultiHeadAttention` weights (QKV and
output projections); ours calls the fused fast path (``F.scaled_dot_product_attention``),
the naive one computes ``softmax(Q K^T / sqrt(D)) V`` with explicit matmuls and a softmax
(what every textbook writes, the (B, H, T, T) weights materialised). Each measurement is
forward + backward of a self-attention layer at sequence length T, median over repeats,
single-threaded, both implementations timed alternately in one process so their ratio is
comparable on a busy machine.
"""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

import torch
from torch import Tensor

from attnmem.models.transformer import MultiHeadAttention

LENGTHS = (64, 256, 1024, 4096)


def naive_attention(mha: MultiHeadAttention, x: Tensor) -> Tensor:
    """softmax(Q K^T / sqrt(D)) V with explicit matmuls, through ``mha``'s projections."""
    B, T, d = x.shape
    H = mha.heads
    q, k, v = mha.qkv(x).split(d, dim=-1)  # 3 x (B, T, d)
    q, k, v = (t.view(B, T, H, d // H).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
    weights = torch.softmax(q @ k.transpose(-2, -1) / (d // H) ** 0.5, dim=-1)  # (B, H, T, T)
    y = (weights @ v).transpose(1, 2).reshape(B, T, d)  # (B, T, d)
    return mha.out(y)


def _time(fn, x: Tensor, repeats: int) -> float:
    """Median seconds of forward + backward."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x).sum().backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attention_speed(
    *,
    lengths: tuple[int, ...] = LENGTHS,
    batch_size: int = 1,
    dim: int = 64,
    heads: int = 4,
    threads: int = 1,
    budget_seconds: float = 4.0,
) -> dict[str, Any]:
    """Forward + backward ms of ours and of the naive implementation, and their ratio
    (naive / ours: > 1 means ours is faster), at each sequence length."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    mha = MultiHeadAttention(dim, heads)
    result: dict[str, Any] = {
        "config": f"self-attention, batch {batch_size}, d={dim}, {heads} heads, float32, "
        "forward + backward",
        "threads": threads,
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "lengths": {},
    }
    for T in lengths:
        x = torch.randn(batch_size, T, dim, requires_grad=True)
        for fn in (mha, lambda x: naive_attention(mha, x)):  # warm-up
            fn(x).sum().backward()
        once = _time(lambda x: naive_attention(mha, x), x, 1)
        repeats = max(3, min(50, int(budget_seconds / max(once, 1e-6))))
        ours, naive = [], []
        for _ in range(repeats):  # alternate, so both see the same machine load
            ours.append(_time(mha, x, 1))
            naive.append(_time(lambda x: naive_attention(mha, x), x, 1))
        ms_ours, ms_naive = 1000 * statistics.median(ours), 1000 * statistics.median(naive)
        result["lengths"][str(T)] = {
            "ours_ms": round(ms_ours, 3),
            "naive_ms": round(ms_naive, 3),
            "speedup": round(ms_naive / ms_ours, 2),
            "repeats": repeats,
        }
    return result


def attention_speed_table(result: dict[str, Any]) -> str:
    """The README table: ms per forward + backward and the speed-up, per length."""
    lines = [
        f"**Multi-head attention speed** (`{result['command']}`; {result['config']}; "
        f"{result['threads']} thread, torch {result['torch']}; median of alternated repeats; "
        "speed-up = naive / ours)",
        "",
        "| sequence length | ours (SDPA) ms | naive matmul-softmax ms | speed-up |",
        "|---|---|---|---|",
    ]
    for T, r in result["lengths"].items():
        lines.append(f"| {T} | {r['ours_ms']} | {r['naive_ms']} | {r['speedup']} |")
    return "\n".join(lines)
