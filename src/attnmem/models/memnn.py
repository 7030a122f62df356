"""Memory Network, strongly supervised (Weston, Chopra & Bordes 2014, "Memory Networks").

Four components (sec. 2, 3.1), each a method of :class:`MemNN`:

- **I** (input feature map, :meth:`MemNN.features`): a sentence becomes a bag of words.
  The feature space has 3|W| word features (sec. 3.1): one copy of the vocabulary for
  ``Phi_y`` (a candidate memory or answer word) and two for ``Phi_x`` (words of the
  question itself, words of the supporting memories found so far), plus 3 write-time
  features (sec. 3.4) and one feature of our own for the "no more supporting facts"
  candidate. ``U Phi(.)`` is computed as a sum of embedding rows, never a dense 3|W|
  vector.
- **G** (generalization, :meth:`MemNN.write`): each sentence is stored in the next free
  memory slot, ``m_{N(x)} = I(x)``; the slot index is its write time.
- **O** (output, :meth:`MemNN.output`): k hops, each finding one supporting memory:
  ``o_1 = O_1(x, m) = argmax_i s_O(x, m_i)``, ``o_2 = argmax_i s_O([x, m_o1], m_i)``
  (eqs. 3-4), with the write-time comparison ``s_Ot`` of sec. 3.4 (see
  :mod:`attnmem.memory.memnn`: every pair of memories is compared at once and the memory
  preferred to the most others wins, instead of the paper's sequential loop; the
  "y older than y'" feature is signed, +1/-1, instead of 0/1).
- **R** (response, :meth:`MemNN.response`): ``r = argmax_w s_R([x, m_o1, m_o2], w)`` over
  every word of the vocabulary (eq. 5). The multi-word answers of tasks 8 and 19
  (``"n,w"``) are one vocabulary token each (``attnmem.tasks.babi``), as in MemN2N and
  many MemNN reimplementations, not generated word by word with an RNN.

Scores: ``s(x, y) = Phi_x(x)^T U^T U Phi_y(y)`` (eq. 2), with ``U_O`` for O and ``U_R``
for R (both ``dim x D``).

Training (sec. 3.1, eqs. 6-8): the max-margin ranking loss with the supporting facts as
targets, summed over every other candidate: the k supporting-memory terms (with write
time, ``[gamma - s_Ot(x, f, f')]_+ + [gamma + s_Ot(x, f', f)]_+``) and the answer term
``[gamma - s_R(x, r) + s_R(x, r')]_+``. Hop k's input is built from the *true* supporting
facts 1..k-1, and R's from all k (the labels are used at every stage, as in the paper).
A question with fewer than k supporting facts is trained to pick the "no more facts"
candidate at the remaining hops (which then add nothing to x); one with more is trained
on its first k in file order. :meth:`MemNN.training_loss` is the trainer's hook for
this loss (``attnmem.train.trainer``).

Shapes: ``B`` batch, ``N`` memory slots (slot N-1 the most recent), ``J`` words per
sentence, ``d`` = ``dim``, ``V`` vocabulary, ``K`` hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from attnmem.memory.memn2n import StoryInputs, embed_sentences
from attnmem.memory.memnn import (
    margin_ranking_loss,
    pairwise_time_scores,
    response_margin_loss,
    tournament_select,
)
from attnmem.models.memn2n import check_answer_vocabulary
from attnmem.models.trace import Trace

# Roles of the word features (sec. 3.1): Phi_y, and Phi_x's two copies.
CANDIDATE, QUESTION, SUPPORT = 0, 1, 2
NO_ANSWER = (0, 1)  # Vocab.PAD and Vocab.UNK are never answers


@dataclass(frozen=True)
class MemNNConfig:
    hops: int = 2  # k: supporting memories found by O
    dim: int = 50  # n: rows of U_O and U_R (the embedding width)
    memory_size: int = 50  # N, must equal the task's memory_size
    margin: float = 0.1  # gamma of the ranking loss
    time: bool = True  # write-time features s_Ot (sec. 3.4); False: unary argmax of s_O
    init_std: float = 0.1  # every weight ~ N(0, init_std^2)

    def __post_init__(self) -> None:
        if not 1 <= self.hops <= 10:
            raise ValueError(f"hops ({self.hops}) must be in 1..10")
        for name in ("dim", "memory_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} ({getattr(self, name)}) must be >= 1")
        if self.margin <= 0:
            raise ValueError(f"margin ({self.margin}) must be > 0")
        if self.init_std <= 0:
            raise ValueError(f"init_std ({self.init_std}) must be > 0")


class MemNN(nn.Module):
    """Inputs: ``StoryInputs`` (story (B, N, J), query (B, J), memory_mask (B, N)), state
    (ignored). Outputs: answer scores s_R (B, V) (PAD and UNK at the dtype's minimum), None.

    ``training_loss(batch)`` needs the batch's ``supporting`` (B, K) memory slots
    (``attnmem.tasks.babi_qa.BabiBatch``). ``output_size`` must equal ``input_size``.
    """

    def __init__(self, config: MemNNConfig, input_size: int, output_size: int) -> None:
        super().__init__()
        check_answer_vocabulary("MemNN", input_size, output_size)
        self.config, self.input_size, self.output_size = config, input_size, output_size
        V, d, std = input_size, config.dim, config.init_std
        # U_O on the word features: [role, word] -> column of U_O (roles: CANDIDATE, ...)
        self.output_words = nn.Parameter(torch.randn(3, V, d) * std)
        # U_O on the time features: "x older than y", "x older than y'", "y older than y'"
        self.output_time = nn.Parameter(torch.randn(3, d) * std)
        self.output_stop = nn.Parameter(torch.randn(d) * std)  # U_O Phi_y("no more facts")
        self.response_words = nn.Parameter(torch.randn(3, V, d) * std)  # U_R
        N = config.memory_size
        older = torch.zeros(N + 1, N + 1)  # candidates: N slots, then "no more facts"
        # O_ij: +1 if slot i is older than slot j (i < j), -1 if newer (signed, see
        # attnmem.memory.memnn); 0 against "no more facts", which has no write time.
        older[:N, :N] = torch.ones(N, N).triu(1) - torch.ones(N, N).tril(-1)
        self.register_buffer("older", older, persistent=False)

    # -- I and G --------------------------------------------------------------------------

    def features(self, ids: Tensor, embedding: Tensor) -> Tensor:
        """I: ``U Phi(x)`` of bags of words. ids (..., J) word ids (0 = padding),
        embedding (V, d) one role's columns of U -> (..., d)."""
        return embed_sentences(ids, embedding, position=False)

    def write(self, inputs: StoryInputs) -> tuple[Tensor, Tensor]:
        """G: sentence i of the story goes to slot i (``BabiTensors`` already stores them
        in write order), so the memory is the story. -> memories (B, N, J), mask (B, N)."""
        story = inputs.story
        N = self.config.memory_size
        if story.dim() != 3 or story.shape[1] != N:
            raise ValueError(
                f"story must be (B, N={N}, J) word ids (model.memory_size), "
                f"got shape {tuple(story.shape)}"
            )
        return story, inputs.memory_mask

    # -- O ----------------------------------------------------------------------------------

    def hop_scores(
        self, u: Tensor, memories: Tensor, mask: Tensor, x_time: Tensor, hop: int
    ) -> tuple[Tensor, Tensor]:
        """Pairwise s_Ot of every two candidates of one hop.

        u (B, d) = U_O Phi_x(x); memories (B, N, d) = U_O Phi_y(m_i); mask (B, N);
        x_time (B,) long, the write time (slot) of x: N when x is the question alone
        (newer than every memory), else that of the memory found last (the paper leaves
        the time of x = [q, m_o1] open; this makes hop 2 see "newer than m_o1"); hop 0-based -> S (B, C, C) and valid (B, C), C = N + 1
        (the last candidate is "no more facts", offered from the second hop on).
        """
        B, N, _ = memories.shape
        unary = torch.einsum("bd,bnd->bn", u, memories)  # (B, N) s_O(x, m_i)
        stop = u @ self.output_stop  # (B,) s_O(x, no more facts)
        scores = torch.cat([unary, stop.unsqueeze(-1)], -1)  # (B, C)
        valid = torch.cat([mask, torch.full((B, 1), hop > 0, device=mask.device)], -1)
        if not self.config.time:
            pairwise = scores.unsqueeze(-1) - scores.unsqueeze(-2)  # s_O(x, y) - s_O(x, y')
            return pairwise, valid
        time = u @ self.output_time.T  # (B, 3) a, b, c
        slots = torch.arange(N, device=u.device)
        x_older = torch.cat([x_time.unsqueeze(-1) < slots, torch.zeros_like(mask[:, :1])], -1)
        return pairwise_time_scores(scores, time, x_older.to(u.dtype), self.older), valid

    def output(
        self, inputs: StoryInputs, targets: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor, list[tuple[Tensor, Tensor]]]:
        """O: the k hops. With ``targets`` (B, K) (true slots, N = no more facts, -1 = no
        label) each hop's x is built from the targets (training); else from the model's
        own choices.

        -> chosen (B, K) slots O picked (N: no more facts); found (B, K, J) word ids of
        the memories x was built from (the targets in training, else the chosen ones;
        empty rows for "no more facts"), which R reads; wins (B, K, N) each memory's
        tournament score; per hop (pairwise S (B, C, C), valid (B, C)) for the loss.
        """
        story, mask = self.write(inputs)
        B, N, J = story.shape
        memories = self.features(story, self.output_words[CANDIDATE])  # (B, N, d)
        question = self.features(inputs.query, self.output_words[QUESTION])  # (B, d)
        padded = torch.cat([story, story.new_zeros(B, 1, J)], 1)  # (B, N+1, J) stop = empty
        batch = torch.arange(B, device=story.device)
        u = question  # U_O Phi_x(x), x = the question
        x_time = torch.full((B,), N, device=story.device)
        chosen, found_ids, wins, hops = [], [], [], []
        for k in range(self.config.hops):
            S, valid = self.hop_scores(u, memories, mask, x_time, k)
            choice, win = tournament_select(S, valid)  # (B,), (B, C)
            hops.append((S, valid))
            chosen.append(choice)
            wins.append(win[:, :N])
            slot = choice if targets is None else targets[:, k]
            slot = torch.where(slot >= 0, slot, N)  # no label: add nothing
            found = padded[batch, slot]  # (B, J) ids of the memory found at this hop
            found_ids.append(found)
            # x <- [x, m_ok]: its Phi_x gains the memory's words in the SUPPORT role.
            u = u + self.features(found, self.output_words[SUPPORT])
            x_time = torch.where(slot < N, slot, x_time)  # x's time: the fact found last
        return torch.stack(chosen, 1), torch.stack(found_ids, 1), torch.stack(wins, 1), hops

    # -- R ----------------------------------------------------------------------------------

    def response(self, query: Tensor, found: Tensor) -> Tensor:
        """R: s_R([x, m_o1, ..., m_ok], w) for every word w. query (B, J), found (B, K, J)
        ids of the supporting memories (empty rows for "no more facts") -> (B, V)."""
        u = self.features(query, self.response_words[QUESTION])  # (B, d)
        u = u + self.features(found, self.response_words[SUPPORT]).sum(1)  # + memories
        scores = u @ self.response_words[CANDIDATE].T  # (B, V) s_R(x, w), Phi_y(w) = e_w
        return scores

    def _answer_mask(self, scores: Tensor) -> Tensor:
        valid = torch.ones(scores.shape[-1], dtype=torch.bool, device=scores.device)
        valid[list(NO_ANSWER)] = False
        return valid

    def forward(self, inputs: StoryInputs, state: None = None) -> tuple[Tensor, None]:
        _, found, _, _ = self.output(inputs)
        scores = self.response(inputs.query, found)
        scores = scores.masked_fill(~self._answer_mask(scores), torch.finfo(scores.dtype).min)
        return scores, None

    def training_loss(self, batch: Any) -> tuple[Tensor, Tensor]:
        """Eqs. 6-8 with the supporting facts as targets: (answer scores (B, V) of the
        teacher-forced pass, scalar loss = batch mean of the summed hinge terms).

        batch: ``inputs`` (StoryInputs), ``answer`` (B,), ``supporting`` (B, K') slots,
        -1 = none. Hop 1's target is the first supporting fact (no term where it is -1);
        hop k > 1's is fact k, or "no more facts" where the question has fewer.
        """
        N, K = self.config.memory_size, self.config.hops
        supporting = batch.supporting
        B = supporting.shape[0]
        targets = supporting.new_full((B, K), N)  # "no more facts"
        take = min(K, supporting.shape[1])
        targets[:, :take] = torch.where(supporting[:, :take] >= 0, supporting[:, :take], N)
        targets[:, 0] = supporting[:, 0] if supporting.shape[1] else -1  # hop 1: a fact or none
        _, found, _, hops = self.output(batch.inputs, targets)
        gamma = self.config.margin
        loss = sum(
            margin_ranking_loss(S, targets[:, k], valid, gamma) for k, (S, valid) in enumerate(hops)
        )
        scores = self.response(batch.inputs.query, found)
        valid = self._answer_mask(scores).expand_as(scores)
        loss = loss + response_margin_loss(scores, batch.answer, valid, gamma)
        scores = scores.masked_fill(~valid, torch.finfo(scores.dtype).min)
        return scores, loss.mean()

    @torch.no_grad()
    def trace(self, inputs: StoryInputs, state: None = None) -> Trace:
        """Answer scores (B, V) and, per hop k (B, K, N):

        - ``hop_attention``: 1 at the memory O retrieved (MemNN's attention is hard; a
          row of zeros where it chose "no more facts"),
        - ``hop_scores``: the fraction of the other memories each memory is preferred to
          by s_Ot (the retrieved memory has the most).
        """
        chosen, found, wins, _ = self.output(inputs)
        N = self.config.memory_size
        scores = self.response(inputs.query, found)
        scores = scores.masked_fill(~self._answer_mask(scores), torch.finfo(scores.dtype).min)
        attention = torch.zeros(*chosen.shape, N + 1, dtype=scores.dtype, device=scores.device)
        attention.scatter_(-1, chosen.unsqueeze(-1), 1.0)
        return Trace(scores, None, {"hop_attention": attention[..., :N], "hop_scores": wins})

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"vocab={self.input_size}, hops={c.hops}, dim={c.dim}, memory_size={c.memory_size}, "
            f"margin={c.margin}, time={c.time}"
        )
