"""Transformer encoder (Vaswani et al. 2017) and its bAbI reader.

- :class:`MultiHeadAttention`: self-attention with ``H`` heads on the fused kernel
  (``attnmem.attention.scaled_dot_product``); ``attend`` runs the explicit path and also
  returns the weights (B, H, T, T).
- :class:`TransformerBlock`: ``x + MHA(LN(x))`` then ``x + FFN(LN(x))``. Pre-norm (layer
  norm inside the residual branch, Xiong et al. 2020) rather than the paper's post-norm:
  the residual stream is then an identity path through every layer, which trains at a
  constant Adam learning rate without warm-up, and keeps a block applied many times with
  tied weights (the Universal Transformer) stable; a final layer norm closes the stack.
- :class:`BabiEncoder`: bAbI as in the Universal Transformer paper (Dehghani et al. 2018,
  sec. 3.1): each sentence (and the question) becomes one vector, the sum of its word
  embeddings under MemN2N's position encoding; the sequence is the story's last ``N``
  sentences followed by the question (a learned vector marks it). The answer is read
  from the question's final state.
- :class:`TransformerBabi`: ``layers`` distinct blocks over that sequence, with sinusoidal
  position encodings added once at the input.

Shapes: ``B`` batch, ``N`` story sentences (memory slots), ``T`` = N + 1 sequence
positions (the question last), ``J`` words per sentence, ``d`` model width, ``H`` heads,
``L`` layers, ``V`` vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from attnmem.attention.multihead import (
    key_padding_mask,
    scaled_dot_product,
    scaled_dot_product_reference,
)
from attnmem.memory.memn2n import StoryInputs, embed_sentences
from attnmem.models.memn2n import check_answer_vocabulary
from attnmem.models.trace import Trace

__all__ = [
    "BabiEncoder",
    "MultiHeadAttention",
    "TransformerBabi",
    "TransformerBlock",
    "TransformerConfig",
    "sinusoid",
]


def sinusoid(positions: Tensor, dim: int) -> Tensor:
    """P_{p,2i} = sin(p / 10000^{2i/d}),  P_{p,2i+1} = cos(p / 10000^{2i/d})
    (Vaswani et al. 2017, sec. 3.5).

    positions (...) -> (..., dim) float32; dim must be even.
    """
    if dim % 2:
        raise ValueError(f"dim ({dim}) must be even for sinusoidal encodings")
    i = torch.arange(0, dim, 2, dtype=torch.float32, device=positions.device)  # (d/2,) 2i
    angle = positions.to(torch.float32).unsqueeze(-1) / 10000 ** (i / dim)  # (..., d/2)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)  # (..., d) interleaved


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention: MultiHead(x) = Concat(head_1..head_H) W^O with
    head_h = Attention(x W^Q_h, x W^K_h, x W^V_h)  (Vaswani et al. 2017, sec. 3.2.2).

    Inputs: x (B, T, d), present (B, T) bool or None: False positions are never attended
    to (their own outputs are computed but meaningless). Outputs: (B, T, d).
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.dim, self.heads = dim, heads
        self.qkv = nn.Linear(dim, 3 * dim)  # W^Q, W^K, W^V of every head, side by side
        self.out = nn.Linear(dim, dim)  # W^O

    def _split(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        B, T, d = x.shape
        H = self.heads
        q, k, v = self.qkv(x).split(d, dim=-1)  # 3 x (B, T, d)
        return tuple(t.view(B, T, H, d // H).transpose(1, 2) for t in (q, k, v))  # (B, H, T, hs)

    def _merge(self, y: Tensor) -> Tensor:
        B, H, T, hs = y.shape
        return self.out(y.transpose(1, 2).reshape(B, T, H * hs))  # (B, T, d)

    def forward(self, x: Tensor, present: Tensor | None = None) -> Tensor:
        q, k, v = self._split(x)
        mask = None if present is None else key_padding_mask(present)  # (B, 1, 1, T)
        return self._merge(scaled_dot_product(q, k, v, mask))

    def attend(self, x: Tensor, present: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The explicit reference path: -> outputs (B, T, d), weights (B, H, T, T)."""
        q, k, v = self._split(x)
        mask = None if present is None else key_padding_mask(present)
        y, weights = scaled_dot_product_reference(q, k, v, mask)  # (B, H, T, hs), (B, H, T, T)
        return self._merge(y), weights

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}"


class TransformerBlock(nn.Module):
    """Pre-norm encoder block: x' = x + MHA(LN(x)),  out = x' + FFN(LN(x')), with
    FFN(x) = W_2 ReLU(W_1 x) the transition function (module docstring: why pre-norm).

    Inputs: x (B, T, d), present (B, T) bool or None. Outputs: (B, T, d).
    ``attend`` also returns the attention weights (B, H, T, T), from the reference path.
    """

    def __init__(self, dim: int, heads: int, ffn_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, heads)
        self.transition = nn.Sequential(
            nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Linear(ffn_dim, dim)
        )  # FFN
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, present: Tensor | None = None) -> Tensor:
        x = x + self.dropout(self.attention(self.norm1(x), present))
        return x + self.dropout(self.transition(self.norm2(x)))

    def attend(self, x: Tensor, present: Tensor | None = None) -> tuple[Tensor, Tensor]:
        y, weights = self.attention.attend(self.norm1(x), present)
        x = x + self.dropout(y)
        return x + self.dropout(self.transition(self.norm2(x))), weights


@dataclass(frozen=True)
class TransformerConfig:
    layers: int = 3  # L distinct blocks
    dim: int = 64  # d
    heads: int = 4  # H
    ffn_dim: int = 128  # width of the transition function's hidden layer
    memory_size: int = 50  # N, must equal the task's memory_size
    dropout: float = 0.0
    init_std: float = 0.1  # word embeddings ~ N(0, init_std^2)

    def __post_init__(self) -> None:
        check_sizes(self)
        if not 1 <= self.layers <= 24:
            raise ValueError(f"layers ({self.layers}) must be in 1..24")


def check_sizes(c: Any) -> None:
    """Validation shared by the Transformer and Universal Transformer configs."""
    for name in ("dim", "heads", "ffn_dim", "memory_size"):
        if getattr(c, name) < 1:
            raise ValueError(f"{name} ({getattr(c, name)}) must be >= 1")
    if c.dim % c.heads or c.dim % 2:
        raise ValueError(f"dim ({c.dim}) must be even and divisible by heads ({c.heads})")
    if not 0 <= c.dropout < 1 or c.init_std <= 0:
        raise ValueError(f"dropout ({c.dropout}) must be in [0, 1) and init_std ({c.init_std}) > 0")


class BabiEncoder(nn.Module):
    """Story and question -> the sequence a Transformer reads, and its answer head.

    x_i = sqrt(d) sum_j l_j * E w_ij (MemN2N's position encoding ``l``) for each sentence i,
    x_q = sqrt(d) sum_j l_j * E q_j + e_q for the question (``e_q`` a learned marker).

    ``encode(inputs)`` -> x (B, T=N+1, d), present (B, T) bool (empty memory slots are
    False; the question always True). ``answer(h)``: final states (B, T, d) -> logits
    (B, V) from the question position (a layer norm, then a linear map).
    """

    def __init__(self, vocab_size: int, dim: int, memory_size: int, init_std: float) -> None:
        super().__init__()
        self.memory_size, self.scale = memory_size, dim**0.5
        self.words = nn.Parameter(torch.randn(vocab_size, dim) * init_std)  # E
        self.question = nn.Parameter(torch.zeros(dim))  # e_q
        self.norm = nn.LayerNorm(dim)
        self.readout = nn.Linear(dim, vocab_size)

    def encode(self, inputs: StoryInputs) -> tuple[Tensor, Tensor]:
        story, query, mask = inputs.story, inputs.query, inputs.memory_mask
        N = self.memory_size
        if story.dim() != 3 or story.shape[1] != N:
            raise ValueError(
                f"story must be (B, N={N}, J) word ids (model.memory_size), "
                f"got shape {tuple(story.shape)}"
            )
        both = torch.cat([story, query.unsqueeze(1)], dim=1)  # (B, N+1, J)
        # Scaled by sqrt(d) (Vaswani et al. 2017, sec. 3.4) so that the sentences are not
        # drowned by the sinusoidal position (and timestep) encodings, of size ~1 per unit.
        x = embed_sentences(both, self.words, position=True) * self.scale  # (B, T, d)
        x = x + torch.cat([x.new_zeros(N, x.shape[-1]), self.question.unsqueeze(0)])  # + e_q
        present = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=1)  # (B, T)
        return x, present

    def answer(self, h: Tensor) -> Tensor:
        return self.readout(self.norm(h[:, -1]))  # (B, V)


class TransformerBabi(nn.Module):
    """Inputs: ``StoryInputs`` (story (B, N, J), query (B, J), memory_mask (B, N)), state
    (ignored: the model is not recurrent). Outputs: answer logits (B, V), None.

    ``trace`` returns ``steps["attention"]`` (B, L, H, T, T), every head's weights in every
    layer (the question's row over the story: ``[..., -1, :N]``).
    """

    def __init__(self, config: TransformerConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        check_answer_vocabulary("the Transformer", input_size, output_size)
        c = config
        self.config, self.input_size, self.output_size = config, input_size, output_size
        self.encoder = BabiEncoder(input_size, c.dim, c.memory_size, c.init_std)
        self.blocks = nn.ModuleList(
            TransformerBlock(c.dim, c.heads, c.ffn_dim, c.dropout) for _ in range(c.layers)
        )
        self.norm = nn.LayerNorm(c.dim)  # after the last pre-norm block
        self.register_buffer(
            "positions", sinusoid(torch.arange(c.memory_size + 1), c.dim), persistent=False
        )  # (T, d)

    def _run(self, inputs: StoryInputs, *, reference: bool) -> tuple[Tensor, list[Tensor]]:
        x, present = self.encoder.encode(inputs)  # (B, T, d), (B, T)
        x = x + self.positions
        weights = []
        for block in self.blocks:
            if reference:
                x, w = block.attend(x, present)
                weights.append(w)
            else:
                x = block(x, present)
        return self.encoder.answer(self.norm(x)), weights

    def forward(self, inputs: StoryInputs, state: None = None) -> tuple[Tensor, None]:
        logits, _ = self._run(inputs, reference=False)
        return logits, None

    @torch.no_grad()
    def trace(self, inputs: StoryInputs, state: None = None) -> Trace:
        """Logits (B, V) on the reference path and ``steps["attention"]`` (B, L, H, T, T)."""
        logits, weights = self._run(inputs, reference=True)
        return Trace(logits, None, {"attention": torch.stack(weights, dim=1)})

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"vocab={self.input_size}, layers={c.layers}, dim={c.dim}, heads={c.heads}, "
            f"ffn_dim={c.ffn_dim}, memory_size={c.memory_size}, dropout={c.dropout}"
        )
