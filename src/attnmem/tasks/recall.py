"""Associative recall task (Graves et al. 2014, sec. 4.3): read a list of
items, then a query item; output the item that followed the query in the list.

Channels. Input width ``width + 2``: channels ``[0, width)`` hold the bits,
channel ``width`` is the item delimiter and channel ``width + 1`` the query
delimiter. Output width ``width``.

Time steps. With ``n`` items of ``k = item_length`` vectors each there are
``T = (n + 2) * (k + 1)`` steps:

* ``n`` blocks of ``k + 1`` steps: an item-delimiter step (channel ``width``
  = 1) followed by the ``k`` bit vectors of the item;
* a query-delimiter step (channel ``width + 1`` = 1);
* the ``k`` vectors of the query, a copy of item ``q`` with ``q`` uniform in
  ``[0, n - 2]`` (never the last item), drawn independently per sequence;
* another query-delimiter step;
* ``k`` blank steps whose targets are item ``q + 1``; only these are scored.

Items are independent random bits; two items may coincide by chance (with
probability about ``n**2 / 2**(k * width + 1)``), as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnmem.tasks.base import Batch, BitSequenceTask, curriculum_randint, random_bits


@dataclass(frozen=True)
class AssociativeRecallConfig:
    width: int = 6
    item_length: int = 3
    min_items: int = 2
    max_items: int = 6


class AssociativeRecallTask(BitSequenceTask):
    def __init__(self, config: AssociativeRecallConfig = AssociativeRecallConfig()) -> None:
        if config.width < 1:
            raise ValueError(f"recall: width must be >= 1, got {config.width}")
        if config.item_length < 1:
            raise ValueError(f"recall: item_length must be >= 1, got {config.item_length}")
        if not 2 <= config.min_items <= config.max_items:
            raise ValueError(
                f"recall: need 2 <= min_items ({config.min_items}) "
                f"<= max_items ({config.max_items})"
            )
        self.config = config
        self.input_size = config.width + 2
        self.output_size = config.width

    def sample(
        self,
        batch_size: int,
        generator: torch.Generator,
        *,
        difficulty: float = 1.0,
        num_items: int | None = None,
    ) -> Batch:
        """One number of items per batch (drawn from ``[min_items, max_items * difficulty]``
        unless ``num_items`` is given, e.g. 12 for the paper's generalisation test).

        Returns inputs (B, T, width + 2), targets (B, T, width), mask (B, T)
        with ``T = (num_items + 2) * (item_length + 1)``.
        """
        c = self.config
        if num_items is None:
            num_items = curriculum_randint(c.min_items, c.max_items, difficulty, generator)
        if num_items < 2:
            raise ValueError(f"recall: num_items must be >= 2, got {num_items}")
        n, k, w = num_items, c.item_length, c.width
        items = random_bits((batch_size, n, k, w), generator)  # (B, n, k, W)
        query = torch.randint(0, n - 1, (batch_size,), generator=generator)  # (B,)
        rows = torch.arange(batch_size)
        query_item = items[rows, query]  # (B, k, W)
        answer = items[rows, query + 1]  # (B, k, W)

        T = (n + 2) * (k + 1)
        inputs = torch.zeros(batch_size, T, w + 2)
        blocks = inputs[:, : n * (k + 1)].view(batch_size, n, k + 1, w + 2)
        blocks[:, :, 0, w] = 1.0  # item delimiters
        blocks[:, :, 1:, :w] = items
        q0 = n * (k + 1)  # first query delimiter
        inputs[:, q0, w + 1] = 1.0
        inputs[:, q0 + 1 : q0 + 1 + k, :w] = query_item
        inputs[:, q0 + 1 + k, w + 1] = 1.0  # second query delimiter
        targets = torch.zeros(batch_size, T, w)
        targets[:, T - k :] = answer
        mask = torch.zeros(batch_size, T)
        mask[:, T - k :] = 1.0
        return Batch(inputs, targets, mask)
