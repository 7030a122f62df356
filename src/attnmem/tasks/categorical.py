"""Shared loss and metrics for the ACT paper's tasks (Graves 2016, sec. 3): whole-sequence
accuracy for bit targets, and cross-entropy over class targets.

Shapes: ``B`` batch, ``T`` time steps, ``G`` class outputs per step (e.g. 6 digits),
``K`` classes per output (e.g. 11). Class targets are stored in ``Batch.targets`` as
float class indices (B, T, G) so that every task shares the one ``Batch`` type; the
model's logits are (B, T, G * K).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from attnmem.tasks.base import Batch, BitSequenceTask


def sequence_accuracy(wrong: Tensor, mask: Tensor) -> Tensor:
    """1 for each sequence with no error at a scored step, else 0.

    wrong (B, T) number of wrong outputs per step, mask (B, T) -> (B,).
    """
    return ((wrong * mask).sum(-1) == 0).float()


class BitAccuracyTask(BitSequenceTask):
    """Bit targets (parity, logic): the NTM tasks' cost and wrong bits, plus ``accuracy``,
    the fraction of sequences with every scored bit right (1 - the paper's sequence error)."""

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        metrics = super().metrics(logits, batch)
        wrong = ((logits > 0).float() != batch.targets).float().sum(-1)  # (B, T)
        metrics["accuracy"] = sequence_accuracy(wrong, batch.mask).mean().item()
        return metrics


class CategoricalSequenceTask:
    """Class targets (addition's digits, sort's indices): loss is the cross-entropy in
    nats summed over a sequence's scored steps and outputs, averaged over the batch."""

    groups: int  # G outputs per step
    classes: int  # K classes each

    def _logits(self, logits: Tensor) -> Tensor:
        B, T, _ = logits.shape
        return logits.reshape(B, T, self.groups, self.classes)  # (B, T, G, K)

    def _cross_entropy(self, logits: Tensor, batch: Batch) -> Tensor:
        """Per-sequence cross-entropy (nats), (B,)."""
        logp = F.log_softmax(self._logits(logits).float(), dim=-1)  # (B, T, G, K)
        target = batch.targets.long().unsqueeze(-1)  # (B, T, G, 1)
        nll = -logp.gather(-1, target).squeeze(-1).sum(-1)  # (B, T)
        return (nll * batch.mask).sum(-1)

    def loss(self, logits: Tensor, batch: Batch) -> Tensor:
        return self._cross_entropy(logits, batch).mean()

    def metrics(self, logits: Tensor, batch: Batch) -> dict[str, float]:
        predicted = self._logits(logits).argmax(-1)  # (B, T, G)
        wrong = (predicted != batch.targets.long()).float().sum(-1)  # (B, T)
        scored = batch.mask.sum().clamp(min=1.0) * self.groups
        return {
            "accuracy": sequence_accuracy(wrong, batch.mask).mean().item(),
            "output_error": ((wrong * batch.mask).sum() / scored).item(),
            "cost_bits": (self._cross_entropy(logits, batch).mean() / math.log(2.0)).item(),
        }
