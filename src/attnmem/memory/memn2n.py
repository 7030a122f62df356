"""End-To-End Memory Network memory (Sukhbaatar, Szlam, Weston & Fergus 2015, sec. 2).

The memory is a story of sentences, each a bag of word ids. A sentence becomes a
memory vector by a weighted sum of its word embeddings (bag of words, or the
position encoding of sec. 4.1) plus a learned vector per memory slot (temporal
encoding, sec. 4.1). One hop attends over the input memories ``m_i`` with the
controller state ``u`` and reads the output memories ``c_i`` (sec. 2.1):

    p_i = softmax_i(u . m_i),      o = sum_i p_i c_i.

Shapes: ``B`` batch, ``N`` memory slots, ``J`` words per sentence, ``d``
embedding width, ``V`` vocabulary size. Word id 0 is padding (``Vocab.PAD``)
and contributes nothing to a sentence.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnmem.attention import soft_read

__all__ = [
    "MemoryEncoder",
    "StoryInputs",
    "bag_of_words_weights",
    "embed_sentences",
    "encode_sentences",
    "memory_attention",
    "memory_read",
    "position_encoding",
    "sentence_bags",
]

PAD = 0  # word id of padding (attnmem.tasks.babi.Vocab.PAD)


class StoryInputs(NamedTuple):
    """What a memory network reads: a story and a question, as word ids.

    story:       (B, N, J) long, sentence i of the memory in slot i (slot N-1: the most
                 recent), words left-aligned, padded with 0
    query:       (B, J) long, the question's words, padded with 0
    memory_mask: (B, N) bool, True at slots that hold a memory (a sentence, or an empty
                 memory inserted as random noise); False slots get no attention
    """

    story: Tensor
    query: Tensor
    memory_mask: Tensor

    def to(self, device: torch.device | str) -> StoryInputs:
        return StoryInputs(*(t.to(device) for t in self))


def position_encoding(lengths: Tensor, max_words: int, dim: int) -> Tensor:
    """l_kj = (1 - j/J) - (k/d)(1 - 2j/J)   (MemN2N sec. 4.1, position encoding)

    j = 1..J is the word's position, k = 1..d the embedding dimension and J the
    sentence's own length (``lengths``); positions past the sentence get 0.

    lengths (...) int >= 0, J = max_words, d = dim -> (..., J, d) float32.
    """
    j = torch.arange(1, max_words + 1, dtype=torch.float32, device=lengths.device)  # (J,)
    k = torch.arange(1, dim + 1, dtype=torch.float32, device=lengths.device)  # (d,)
    length = lengths.to(torch.float32).clamp(min=1).unsqueeze(-1)  # (..., 1)
    frac = (j / length).unsqueeze(-1)  # (..., J, 1) = j/J
    weights = (1 - frac) - (k / dim) * (1 - 2 * frac)  # (..., J, d)
    inside = (j <= lengths.unsqueeze(-1)).unsqueeze(-1)  # (..., J, 1)
    return weights * inside


def bag_of_words_weights(lengths: Tensor, max_words: int, dim: int) -> Tensor:
    """l_kj = 1 for the sentence's words, 0 past its end (MemN2N sec. 2.1, bag of words).

    lengths (...) -> (..., J, d) float32.
    """
    j = torch.arange(1, max_words + 1, device=lengths.device)  # (J,)
    inside = (j <= lengths.unsqueeze(-1)).to(torch.float32)  # (..., J)
    return inside.unsqueeze(-1).expand(*inside.shape, dim)


def encode_sentences(word_vectors: Tensor, weights: Tensor) -> Tensor:
    """m = sum_j l_j * A x_j   (MemN2N sec. 4.1; l_j = 1 gives the bag of words)

    word_vectors (..., J, d) embedded words, weights (..., J, d) -> (..., d).
    """
    return (word_vectors * weights).sum(-2)


def memory_attention(
    query: Tensor, memory: Tensor, mask: Tensor | None = None, *, linear: bool = False
) -> Tensor:
    """p_i = softmax_i(u . m_i)   (MemN2N eq. 1); with ``linear``, p_i = u . m_i.

    ``linear`` is the linear start of sec. 4.2: the softmax is removed (the
    scores are used as they are) for the first part of training. Slots where
    ``mask`` is False (no sentence) get weight exactly 0; a row with no slot at
    all gets all zeros, not NaN. The softmax runs in float32.

    query u (B, d), memory m (B, N, d), mask (B, N) bool or None -> p (B, N).
    """
    scores = torch.einsum("bd,bnd->bn", query, memory)  # (B, N) u . m_i
    if linear:
        return scores if mask is None else scores * mask
    wide = scores.to(torch.promote_types(scores.dtype, torch.float32))  # softmax in >= float32
    if mask is not None:
        wide = wide.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(wide, dim=-1).nan_to_num(0.0)  # all-masked row -> 0, not NaN
    return weights.to(query.dtype)


def memory_read(weights: Tensor, memory: Tensor) -> Tensor:
    """o = sum_i p_i c_i   (MemN2N eq. 2)

    weights p (B, N), memory c (B, N, d) -> o (B, d).
    """
    return soft_read(weights.unsqueeze(1), memory).squeeze(1)  # (B, 1, N) @ (B, N, d)


def sentence_bags(ids: Tensor, vocab_size: int, *, position: bool) -> tuple[Tensor, Tensor]:
    """Word weights of each sentence as dense (..., V) bags, so that sentence vectors are
    matrix products: ``sum_j l_j * A x_j = bag_a @ A + (k/d) * (bag_b @ A)``.

    The position encoding splits as l_kj = a_j + (k/d) b_j with a_j = 1 - j/J and
    b_j = 2j/J - 1 (J the sentence's length), so bag_a[v] = sum of a_j over the
    positions j holding word v, likewise bag_b. Bag of words: a_j = 1, b_j = 0.
    Padding (id 0) gets weight 0.

    ids (..., J) long -> bag_a, bag_b each (..., V) float32.
    """
    *lead, J = ids.shape
    flat = ids.reshape(-1, J)  # (R, J)
    words = (flat != PAD).to(torch.float32)  # (R, J)
    if position:
        j = torch.arange(1, J + 1, dtype=torch.float32, device=ids.device)  # (J,)
        frac = j / words.sum(-1, keepdim=True).clamp(min=1)  # (R, J) j/J
        a, b = (1 - frac) * words, (2 * frac - 1) * words  # (R, J) a_j, b_j
    else:
        a, b = words, torch.zeros_like(words)
    zeros = torch.zeros(flat.shape[0], vocab_size, device=ids.device)  # (R, V)
    bag_a = zeros.scatter_add(1, flat, a).reshape(*lead, vocab_size)
    bag_b = zeros.scatter_add(1, flat, b).reshape(*lead, vocab_size)
    return bag_a, bag_b


def embed_sentences(ids: Tensor, embedding: Tensor, *, position: bool, dim: int = 0) -> Tensor:
    """m = sum_j l_j * A x_j (position encoding, or bag of words without ``position``).

    The fast path of ``encode_sentences(F.embedding(ids, A), position_encoding(...))``
    (see :func:`sentence_bags`): two (.., V) @ (V, D) products, never a (..., J, d)
    tensor. ``embedding`` may hold several matrices side by side, (V, D) with D a
    multiple of ``dim`` (default D): each block of ``dim`` columns gets its own k/d.

    ids (..., J) long, embedding A (V, D) -> (..., D).
    """
    V, D = embedding.shape
    dim = dim or D
    if D % dim:
        raise ValueError(f"embedding width ({D}) must be a multiple of dim ({dim})")
    *lead, J = ids.shape
    flat = ids.reshape(-1, J)  # (R, J)
    # Only sentences with words need the products (most memory slots of a batch are
    # empty); the others are 0.
    rows = (flat != PAD).any(-1).nonzero().squeeze(-1)  # (R',)
    bag_a, bag_b = sentence_bags(flat[rows], V, position=position)  # (R', V) each
    bag_a, bag_b = bag_a.to(embedding.dtype), bag_b.to(embedding.dtype)
    if position:
        k = torch.arange(D, device=ids.device) % dim + 1  # (D,) k in its block
        scale = (k / dim).to(embedding.dtype)  # (D,) k/d
        both = torch.cat([bag_a, bag_b]) @ embedding  # (2R', D)
        vectors = both[: len(rows)] + scale * both[len(rows) :]  # (R', D)
    else:
        vectors = bag_a @ embedding
    out = vectors.new_zeros(flat.shape[0], D).index_copy(0, rows, vectors)  # (R, D)
    return out.reshape(*lead, D)


class MemoryEncoder(nn.Module):
    """``count`` embedding matrices of a memory network with their temporal encodings,
    applied to a story at once: out[:, i, k] = sum_j l_j * E_k x_ij + T_k(i)  (sec. 4.1).

    MemN2N's A^k, C^k (and B) are these matrices under a weight-tying scheme; encoding
    the story once with all of them (one matrix product) is what makes a step fast.

    Inputs: story (B, N, J) word ids (0 = padding). Outputs: (B, N, count, d).
    ``query(q, k)``: (B, J) -> (B, d), sum_j l_j * E_k q_j (no temporal encoding).
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        count: int,
        *,
        memory_size: int,
        temporal: bool,
        position: bool,
        init_std: float,
    ) -> None:
        super().__init__()
        self.dim, self.count, self.position = dim, count, position
        self.embeddings = nn.Parameter(torch.randn(count, vocab_size, dim) * init_std)  # E_k
        self.temporal = (
            nn.Parameter(torch.randn(count, memory_size, dim) * init_std) if temporal else None
        )  # T_k(i)

    def forward(self, story: Tensor) -> Tensor:
        B, N, _ = story.shape
        K, V, d = self.embeddings.shape
        side_by_side = self.embeddings.permute(1, 0, 2).reshape(V, K * d)  # (V, K*d)
        out = embed_sentences(story, side_by_side, position=self.position, dim=d)  # (B, N, K*d)
        out = out.view(B, N, K, d)
        if self.temporal is not None:
            out = out + self.temporal.transpose(0, 1)  # + (N, K, d)
        return out

    def query(self, query: Tensor, k: int) -> Tensor:
        return embed_sentences(query, self.embeddings[k], position=self.position)

    def extra_repr(self) -> str:
        K, V, d = self.embeddings.shape
        enc = "position" if self.position else "bag_of_words"
        return (
            f"count={K}, vocab={V}, dim={d}, encoding={enc}, temporal={self.temporal is not None}"
        )
