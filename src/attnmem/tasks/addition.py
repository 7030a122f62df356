"""Addition (Graves 2016, sec. 3.3): the running sum of a sequence of numbers.

Each sequence has L numbers (one L per batch, uniform in
[min_length, max_length * difficulty], 1..5 in the paper). Each number has D
digits (D uniform in 1..max_digits = 5 per number, each digit uniform in 0..9)
given as D one-hot vectors of 10 in a ``10 * max_digits`` input, least significant
digit first; the slots of missing digits are zero. The target at every step is
the cumulative sum so far, written with ``max_digits + 1`` = 6 outputs of 11
classes: its digits least significant first, then class 10 ("no digit") for the
places past its last digit. A sequence is right when every digit of every step is.

Input width ``10 * max_digits``; output width ``11 * (max_digits + 1)`` logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, curriculum_randint
from attnmem.tasks.categorical import CategoricalSequenceTask

NO_DIGIT = 10  # the 11th class: no digit at this place


@dataclass(frozen=True)
class AdditionConfig:
    max_digits: int = 5
    min_length: int = 1
    max_length: int = 5


def to_digits(value: torch.Tensor, places: int) -> torch.Tensor:
    """Non-negative integers (...) -> (..., places) digit classes, least significant
    first, ``NO_DIGIT`` past the number's last digit (0 is written as one digit 0)."""
    power = 10 ** torch.arange(places)  # (places,)
    digits = (value.unsqueeze(-1) // power) % 10
    length = torch.ones_like(value)
    for p in range(1, places):  # number of digits: 1 + #{p >= 1 : value >= 10^p}
        length = length + (value >= 10**p).long()
    return torch.where(torch.arange(places) < length.unsqueeze(-1), digits, NO_DIGIT)


class AdditionTask(CategoricalSequenceTask):
    classes = 11

    def __init__(self, config: AdditionConfig = AdditionConfig()) -> None:
        if not 1 <= config.max_digits <= 15:
            raise ValueError(f"addition: max_digits ({config.max_digits}) must be in [1, 15]")
        if not 1 <= config.min_length <= config.max_length:
            raise ValueError(
                f"addition: need 1 <= min_length ({config.min_length}) "
                f"<= max_length ({config.max_length})"
            )
        self.config = config
        self.groups = config.max_digits + 1
        self.input_size = 10 * config.max_digits
        self.output_size = self.classes * self.groups

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        length: int | None = None,
    ) -> Batch:
        c = self.config
        B, P = batch_size, c.max_digits
        if length is None:
            length = curriculum_randint(c.min_length, c.max_length, difficulty, generator)
        L = length
        count = torch.randint(1, P + 1, (B, L), generator=generator)  # D digits per number
        digits = torch.randint(0, 10, (B, L, P), generator=generator)  # least significant first
        present = torch.arange(P) < count.unsqueeze(-1)  # (B, L, P)
        digits = digits * present
        onehot = torch.nn.functional.one_hot(digits, 10) * present.unsqueeze(-1)  # (B, L, P, 10)
        inputs = onehot.reshape(B, L, P * 10).float()
        numbers = (digits * 10 ** torch.arange(P)).sum(-1)  # (B, L)
        targets = to_digits(numbers.cumsum(-1), P + 1).float()  # (B, L, P + 1)
        return Batch(inputs, targets, torch.ones(B, L))
