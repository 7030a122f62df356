"""Benchmark sequence tasks from the Neural Turing Machine paper (Graves et al.
2014, sec. 4) and an explicit registry to build them from config dicts.

Each task is a ``(Config, Task)`` pair: a frozen dataclass of hyper-parameters
and a class with ``input_size``, ``output_size``, ``sample``, ``loss`` and
``metrics`` (the :class:`~attnmem.tasks.base.SequenceTask` protocol).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attnmem.config import ConfigError, from_dict
from attnmem.tasks.addition import AdditionConfig, AdditionTask
from attnmem.tasks.babi_qa import BabiQAConfig, BabiQATask
from attnmem.tasks.babi_words import BabiWordsConfig, BabiWordsTask
from attnmem.tasks.base import Batch, BitSequenceTask, SequenceTask
from attnmem.tasks.copy import CopyConfig, CopyTask
from attnmem.tasks.graphs import (
    GraphConfig,
    GraphTask,
    InferenceConfig,
    ShortestPathConfig,
    TraversalConfig,
)
from attnmem.tasks.logic import LogicConfig, LogicTask
from attnmem.tasks.ngrams import (
    DynamicNGramsTask,
    NGramsConfig,
    bayes_optimal_cost_bits,
    bayes_optimal_probs,
)
from attnmem.tasks.number_sort import NumberSortConfig, NumberSortTask
from attnmem.tasks.parity import ParityConfig, ParityTask
from attnmem.tasks.priority_sort import PrioritySortConfig, PrioritySortTask
from attnmem.tasks.recall import AssociativeRecallConfig, AssociativeRecallTask
from attnmem.tasks.repeat_copy import RepeatCopyConfig, RepeatCopyTask

__all__ = [
    "TASKS",
    "AssociativeRecallConfig",
    "AssociativeRecallTask",
    "BabiQAConfig",
    "BabiQATask",
    "BabiWordsConfig",
    "BabiWordsTask",
    "Batch",
    "BitSequenceTask",
    "CopyConfig",
    "CopyTask",
    "DynamicNGramsTask",
    "GraphConfig",
    "GraphTask",
    "InferenceConfig",
    "NGramsConfig",
    "PrioritySortConfig",
    "PrioritySortTask",
    "RepeatCopyConfig",
    "RepeatCopyTask",
    "SequenceTask",
    "ShortestPathConfig",
    "TraversalConfig",
    "bayes_optimal_cost_bits",
    "bayes_optimal_probs",
    "make_task",
    "ParityConfig",
    "ParityTask",
    "LogicConfig",
    "LogicTask",
    "AdditionConfig",
    "AdditionTask",
    "NumberSortConfig",
    "NumberSortTask",
]

TASKS: dict[str, tuple[type, type]] = {
    "copy": (CopyConfig, CopyTask),
    "repeat_copy": (RepeatCopyConfig, RepeatCopyTask),
    "recall": (AssociativeRecallConfig, AssociativeRecallTask),
    "ngrams": (NGramsConfig, DynamicNGramsTask),
    "priority_sort": (PrioritySortConfig, PrioritySortTask),
    "babi": (BabiQAConfig, BabiQATask),
    "babi_words": (BabiWordsConfig, BabiWordsTask),
    "graph_traversal": (TraversalConfig, GraphTask),
    "graph_shortest": (ShortestPathConfig, GraphTask),
    "graph_inference": (InferenceConfig, GraphTask),
    "parity": (ParityConfig, ParityTask),
    "logic": (LogicConfig, LogicTask),
    "addition": (AdditionConfig, AdditionTask),
    "number_sort": (NumberSortConfig, NumberSortTask),
}


def make_task(name: str, config_dict: Mapping[str, Any] | None = None) -> SequenceTask:
    """Build task ``name`` from a dict of config overrides (missing keys keep defaults).

    Raises ``ConfigError`` (a ValueError) naming an unknown task, an unknown
    config key, a value of the wrong type, or an invalid combination of values.
    """
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    config_cls, task_cls = TASKS[name]
    config = from_dict(config_cls, dict(config_dict or {}), "task")
    try:
        return task_cls(config)
    except ValueError as e:
        raise ConfigError(f"task: {e}") from None
