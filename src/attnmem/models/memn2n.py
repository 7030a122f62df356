"""End-To-End Memory Network, MemN2N (Sukhbaatar, Szlam, Weston & Fergus 2015).

K hops over one memory of sentences (``attnmem.memory.memn2n``): the question is
embedded as ``u^1 = sum_j l_j * B q_j``; hop k attends with ``u^k`` over the
input memories ``m^k_i`` (embedding ``A^k``) and reads the output memories
``c^k_i`` (embedding ``C^k``):

    p^k = softmax(u^k . m^k_i),  o^k = sum_i p^k_i c^k_i,  u^{k+1} = H u^k + o^k

(``H`` = identity unless layer-wise tied), and the answer is
``a = softmax(W u^{K+1})`` over the vocabulary (sec. 2.2). Weight tying (sec. 2.2):

- ``adjacent``: ``A^{k+1} = C^k``, ``B = A^1``, ``W^T = C^K`` (and likewise the
  temporal encodings ``T_A^{k+1} = T_C^k``): K + 1 embedding matrices in all.
- ``layerwise``: ``A^1 = ... = A^K``, ``C^1 = ... = C^K``, a learned ``H``, and
  separate ``B`` and ``W``.

Linear start (sec. 4.2): for the first ``linear_start_steps`` training steps the
softmax of every hop is removed (``on_train_step`` switches it back on).

Shapes: ``B`` batch, ``N`` memory slots, ``J`` words per sentence, ``d`` = ``dim``,
``V`` vocabulary (= input and output size), ``K`` hops.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from attnmem.memory.memn2n import (
    MemoryEncoder,
    StoryInputs,
    embed_sentences,
    memory_attention,
    memory_read,
)
from attnmem.models.trace import Trace

ENCODINGS = ("position", "bag_of_words")
TYINGS = ("adjacent", "layerwise")


def check_answer_vocabulary(model: str, input_size: int, output_size: int) -> None:
    """The bAbI models answer with one word of the vocabulary they read: ValueError unless
    output_size == input_size."""
    if output_size != input_size:
        raise ValueError(
            f"output_size ({output_size}) must equal input_size ({input_size}): "
            f"{model} answers with a word of its input vocabulary"
        )


@dataclass(frozen=True)
class MemN2NConfig:
    hops: int = 3  # K
    dim: int = 50  # d: 20 per task, 50 joint in the paper
    memory_size: int = 50  # N, must equal the task's memory_size (temporal encoding is per slot)
    encoding: str = "position"  # "position" (PE) | "bag_of_words" (BoW)
    temporal: bool = True  # temporal encoding T_A(i), T_C(i) (TE)
    tying: str = "adjacent"  # "adjacent" | "layerwise"
    linear_start_steps: int = 0  # LS: steps trained without the hops' softmax; 0 = off
    init_std: float = 0.1  # every weight ~ N(0, init_std^2), as in the paper

    def __post_init__(self) -> None:
        if not 1 <= self.hops <= 10:
            raise ValueError(f"hops ({self.hops}) must be in 1..10")
        for name in ("dim", "memory_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} ({getattr(self, name)}) must be >= 1")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding ({self.encoding!r}) must be one of {ENCODINGS}")
        if self.tying not in TYINGS:
            raise ValueError(f"tying ({self.tying!r}) must be one of {TYINGS}")
        if self.linear_start_steps < 0 or self.init_std <= 0:
            raise ValueError(
                f"linear_start_steps ({self.linear_start_steps}) must be >= 0 and "
                f"init_std ({self.init_std}) > 0"
            )


class MemN2N(nn.Module):
    """Inputs: ``StoryInputs`` (story (B, N, J), query (B, J), memory_mask (B, N)), state
    (ignored: the model is not recurrent). Outputs: answer logits (B, V), None.

    ``input_size`` is the vocabulary size V; ``output_size`` must equal it (answers are
    words of the same vocabulary, which adjacent tying needs).
    """

    def __init__(self, config: MemN2NConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        check_answer_vocabulary("MemN2N", input_size, output_size)
        self.config, self.input_size, self.output_size = config, input_size, output_size
        c, V = config, input_size
        # adjacent: E_0 .. E_K with A^k = E_{k-1}, C^k = E_k, B = E_0, W^T = E_K.
        # layerwise: E_0 = A, E_1 = C for every hop; B, W and H of their own.
        count = c.hops + 1 if c.tying == "adjacent" else 2
        self.memory = MemoryEncoder(
            V,
            c.dim,
            count,
            memory_size=c.memory_size,
            temporal=c.temporal,
            position=c.encoding == "position",
            init_std=c.init_std,
        )
        if c.tying == "layerwise":
            self.question = nn.Parameter(torch.randn(V, c.dim) * c.init_std)  # B
            self.hop_map = nn.Parameter(torch.randn(c.dim, c.dim) * c.init_std)  # H
            self.answer = nn.Parameter(torch.randn(V, c.dim) * c.init_std)  # W
        else:
            self.question = self.hop_map = self.answer = None
        # Linear start: a buffer, so a checkpoint taken during it reloads in the same mode.
        self.register_buffer("linear", torch.tensor(c.linear_start_steps > 0), persistent=True)

    def on_train_step(self, step: int) -> None:
        """Linear start schedule: no softmax in the hops while ``step < linear_start_steps``."""
        self.linear.fill_(step < self.config.linear_start_steps)

    def _hops(self, inputs: StoryInputs) -> tuple[Tensor, Tensor]:
        """-> logits (B, V), hop attention (B, K, N)."""
        story, query, mask = inputs.story, inputs.query, inputs.memory_mask
        N = self.config.memory_size
        if story.dim() != 3 or story.shape[1] != N:
            raise ValueError(
                f"story must be (B, N={N}, J) word ids (model.memory_size), "
                f"got shape {tuple(story.shape)}"
            )
        linear = bool(self.linear)
        adjacent = self.config.tying == "adjacent"
        memories = self.memory(story)  # (B, N, count, d)
        if adjacent:
            u = self.memory.query(query, 0)  # (B, d) u^1 = sum_j l_j * B q_j, B = E_0
        else:
            u = embed_sentences(query, self.question, position=self.memory.position)
        attention = []
        for k in range(self.config.hops):
            m = memories[:, :, k] if adjacent else memories[:, :, 0]  # (B, N, d) m^k_i
            c = memories[:, :, k + 1] if adjacent else memories[:, :, 1]  # (B, N, d) c^k_i
            p = memory_attention(u, m, mask, linear=linear)  # (B, N) p^k
            o = memory_read(p, c)  # (B, d) o^k
            u = (u if self.hop_map is None else u @ self.hop_map.T) + o  # u^{k+1} = H u^k + o^k
            attention.append(p)
        W = self.memory.embeddings[-1] if adjacent else self.answer  # (V, d), W^T = C^K
        logits = u @ W.T  # (B, V)  a = softmax(W u^{K+1})
        return logits, torch.stack(attention, dim=1)

    def forward(self, inputs: StoryInputs, state: None = None) -> tuple[Tensor, None]:
        logits, _ = self._hops(inputs)
        return logits, None

    @torch.no_grad()
    def trace(self, inputs: StoryInputs, state: None = None) -> Trace:
        """Answer logits (B, V) and ``steps["hop_attention"]`` (B, K, N): p^k over memories."""
        logits, attention = self._hops(inputs)
        return Trace(logits, None, {"hop_attention": attention})

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"vocab={self.input_size}, hops={c.hops}, dim={c.dim}, memory_size={c.memory_size}, "
            f"encoding={c.encoding}, temporal={c.temporal}, tying={c.tying}, "
            f"linear_start_steps={c.linear_start_steps}"
        )
