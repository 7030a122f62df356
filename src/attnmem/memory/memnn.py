"""Memory Network scoring with relative write time (Weston, Chopra & Bordes 2014, sec. 3).

MemNN embeds its arguments as bags of words, ``Phi_x`` for the input side (the question
and the memories found so far) and ``Phi_y`` for a candidate, and scores

    s(x, y) = Phi_x(x)^T U^T U Phi_y(y)                                        (eq. 2)

Write time (sec. 3.4) turns the unary score into a pairwise comparison of two
candidates y, y':

    s_t(x, y, y') = Phi_x(x)^T U^T U (Phi_y(y) - Phi_y(y') + Phi_t(x, y, y'))

with three time features Phi_t: whether x is older than y, whether x is older than y'
(0/1), and whether y is older than y'. We make the last one signed, +1 if y is older
than y' and -1 if it is newer (the paper: 0/1). With the 0/1 feature, two memories of
equal content score (the two "Mary went to ..." of bAbI task 1) can never be told
apart by a preference for recent ones: the comparison "newer y vs older y'" has the
feature 0, which is the only comparison the paper's loop below makes. With ``u = U
Phi_x(x)`` the score splits into the unary scores ``s_i = u . U Phi_y(m_i)`` and three
scalars ``a, b, c = u . U e_t`` (the embeddings of the three time features):

    S[i, j] = s_t(x, m_i, m_j) = s_i - s_j + a [x older than m_i] + b [x older than m_j]
              + c O_ij,    O_ij = +1 if m_i is older than m_j, -1 if newer

``S[i, j] > 0`` means "m_i is preferred to m_j". The paper finds the best memory with a
loop (``t = 1; for i = 2..N: if S[i, t] > 0: t = i``); here every pair is scored at once
and the memory preferred to the most others wins (:func:`tournament_select`), which is
the loop's answer whenever the learned preference is a total order (the margin loss
below trains it to be one around the targets).

Training is the max-margin ranking loss of eqs. 6-8 with the supporting facts as
targets, summed over every other candidate (stories are short, so all of them rather
than sampled ones); with write time each negative f' gives
``[gamma - S[f, f']]_+ + [gamma + S[f', f]]_+`` (sec. 3.4).

Shapes: ``B`` batch, ``C`` candidates (memory slots, plus e.g. a "no more facts"
candidate), ``V`` vocabulary.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "margin_ranking_loss",
    "pairwise_time_scores",
    "response_margin_loss",
    "tournament_select",
]


def pairwise_time_scores(scores: Tensor, time: Tensor, x_older: Tensor, older: Tensor) -> Tensor:
    """S[i, j] = s_i - s_j + a X_i + b X_j + c O_ij   (MemNN sec. 3.4, see module docstring)

    scores s (B, C) unary scores u . U Phi_y(m_i); time (B, 3) the scalars a, b, c
    (u . U e_t for the features "x older than y", "x older than y'", "y older than y'");
    x_older X (B, C) float 0/1, whether x is older than candidate i; older O (B, C, C)
    float, +1 where candidate i is older than candidate j, -1 where newer (0 where
    either has no write time) -> S (B, C, C).
    """
    a, b, c = time.unbind(-1)  # (B,) each
    S = scores.unsqueeze(-1) - scores.unsqueeze(-2)  # (B, C, C) s_i - s_j
    S = S + (a.unsqueeze(-1) * x_older).unsqueeze(-1)  # + a [x older than m_i]
    S = S + (b.unsqueeze(-1) * x_older).unsqueeze(-2)  # + b [x older than m_j]
    return S + c[:, None, None] * older  # + c [m_i older than m_j]


def tournament_select(pairwise: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """The candidate preferred to the most others: argmax_i #{j valid, j != i: S[i, j] > 0}.

    Ties go to the highest index (the most recent memory). pairwise S (B, C, C),
    valid (B, C) bool (at least one True per row) -> (choice (B,) long, wins (B, C) float:
    the fraction of the other valid candidates each valid one is preferred to, 0 where
    not valid).
    """
    B, C, _ = pairwise.shape
    others = valid.unsqueeze(-2) & ~torch.eye(C, dtype=torch.bool, device=valid.device)  # (B,C,C)
    wins = ((pairwise > 0) & others).sum(-1).to(pairwise.dtype)  # (B, C)
    rank = torch.arange(C, device=valid.device, dtype=pairwise.dtype) / C  # tie-break < 1
    key = torch.where(valid, wins + rank, -1.0)
    choice = key.argmax(-1)  # (B,)
    count = (valid.sum(-1, keepdim=True) - 1).clamp(min=1).to(pairwise.dtype)  # (B, 1)
    return choice, torch.where(valid, wins / count, 0.0)


def margin_ranking_loss(pairwise: Tensor, target: Tensor, valid: Tensor, margin: float) -> Tensor:
    """sum_{f' != f} [margin - S[f, f']]_+ + [margin + S[f', f]]_+   (MemNN sec. 3.4)

    The supporting-memory term of eqs. 6-7 with write time, summed over every valid
    negative f'. pairwise S (B, C, C), target f (B,) long (-1: no target, the row gives
    0), valid (B, C) bool -> (B,).
    """
    has = target >= 0
    f = target.clamp(min=0)
    B, C, _ = pairwise.shape
    row = pairwise[torch.arange(B, device=f.device), f]  # (B, C) S[f, j]
    col = pairwise.gather(-1, f.view(B, 1, 1).expand(B, C, 1)).squeeze(-1)  # (B, C) S[j, f]
    negative = valid & (torch.arange(C, device=f.device) != f.unsqueeze(-1))  # (B, C)
    hinge = (margin - row).clamp(min=0) + (margin + col).clamp(min=0)  # (B, C)
    return torch.where(negative & has.unsqueeze(-1), hinge, 0.0).sum(-1)


def response_margin_loss(scores: Tensor, target: Tensor, valid: Tensor, margin: float) -> Tensor:
    """sum_{r' != r} [margin - s_R(r) + s_R(r')]_+   (MemNN eq. 8)

    scores s_R (B, V) of every candidate answer, target r (B,) long, valid (B, V) bool
    (which words may answer) -> (B,).
    """
    right = scores.gather(-1, target.unsqueeze(-1))  # (B, 1) s_R(r)
    negative = valid & (torch.arange(scores.shape[-1], device=scores.device) != target[:, None])
    return torch.where(negative, (margin - right + scores).clamp(min=0), 0.0).sum(-1)
