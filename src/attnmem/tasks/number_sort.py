"""Sort (Graves 2016, sec. 3.4): output the indices of real numbers in sorted order.

Each sequence has n numbers (one n per batch, uniform in
[min_numbers, max_numbers * difficulty], 2..15 in the paper) drawn from a standard
normal, one per step, in a 2-element input: the number and a flag set on the last
one (the end of the input). Then n steps with zero input follow, at which the
targets are the indices (0-based positions in the input, one of ``max_numbers``
classes) of the numbers in ascending order. Only those n steps are scored; a
sequence is right when every index is.

Input width 2, output width ``max_numbers`` logits, ``T = 2 n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, curriculum_randint
from attnmem.tasks.categorical import CategoricalSequenceTask


@dataclass(frozen=True)
class NumberSortConfig:
    min_numbers: int = 2
    max_numbers: int = 15


class NumberSortTask(CategoricalSequenceTask):
    groups = 1

    def __init__(self, config: NumberSortConfig = NumberSortConfig()) -> None:
        if not 1 <= config.min_numbers <= config.max_numbers:
            raise ValueError(
                f"number_sort: need 1 <= min_numbers ({config.min_numbers}) "
                f"<= max_numbers ({config.max_numbers})"
            )
        self.config = config
        self.classes = config.max_numbers
        self.input_size = 2
        self.output_size = config.max_numbers

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        length: int | None = None,
    ) -> Batch:
        """``length`` fixes the count of numbers n."""
        c = self.config
        if length is None:
            length = curriculum_randint(c.min_numbers, c.max_numbers, difficulty, generator)
        if not 1 <= length <= c.max_numbers:
            raise ValueError(f"number_sort: length ({length}) must be in [1, {c.max_numbers}]")
        B, n = batch_size, length
        values = torch.randn(B, n, generator=generator)  # (B, n)
        inputs = torch.zeros(B, 2 * n, 2)
        inputs[:, :n, 0] = values
        inputs[:, n - 1, 1] = 1.0  # end of the input
        targets = torch.zeros(B, 2 * n, 1)
        targets[:, n:, 0] = values.argsort(-1).float()  # ascending order's indices
        mask = torch.zeros(B, 2 * n)
        mask[:, n:] = 1.0
        return Batch(inputs, targets, mask)
