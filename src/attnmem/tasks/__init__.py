"""Benchmark sequence tasks from the Neural Turing Machine paper (Graves et al.
2014, sec. 4) and an explicit registry to build them from config dicts.

Each task is a ``(Config, Task)`` pair: a frozen dataclass of hyper-parameters
and a class with ``input_size``, ``output_size``, ``sample``, ``loss`` and
``metrics`` (the :class:`~attnmem.tasks.base.SequenceTask` protocol).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from attnmem.tasks.base import Batch, BitSequenceTask, SequenceTask
from attnmem.tasks.copy import CopyConfig, CopyTask
from attnmem.tasks.ngrams import (
    DynamicNGramsTask,
    NGramsConfig,
    bayes_optimal_cost_bits,
    bayes_optimal_probs,
)
from attnmem.tasks.priority_sort import PrioritySortConfig, PrioritySortTask
from attnmem.tasks.recall import AssociativeRecallConfig, AssociativeRecallTask
from attnmem.tasks.repeat_copy import RepeatCopyConfig, RepeatCopyTask

__all__ = [
    "TASKS",
    "AssociativeRecallConfig",
    "AssociativeRecallTask",
    "Batch",
    "BitSequenceTask",
    "CopyConfig",
    "CopyTask",
    "DynamicNGramsTask",
    "NGramsConfig",
    "PrioritySortConfig",
    "PrioritySortTask",
    "RepeatCopyConfig",
    "RepeatCopyTask",
    "SequenceTask",
    "bayes_optimal_cost_bits",
    "bayes_optimal_probs",
    "make_task",
]

TASKS: dict[str, tuple[type, type]] = {
    "copy": (CopyConfig, CopyTask),
    "repeat_copy": (RepeatCopyConfig, RepeatCopyTask),
    "recall": (AssociativeRecallConfig, AssociativeRecallTask),
    "ngrams": (NGramsConfig, DynamicNGramsTask),
    "priority_sort": (PrioritySortConfig, PrioritySortTask),
}


def _check_type(key: str, value: Any, expected: Any) -> None:
    """Raise ValueError unless ``value`` fits the annotation ``expected`` (e.g. int, float)."""
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(expected, type):
        ok = isinstance(value, expected)
    else:  # an annotation we do not check (unions, generics)
        return
    if not ok:
        name = getattr(expected, "__name__", str(expected))
        raise ValueError(f"task.{key} must be {name}, got {type(value).__name__}")


def make_task(name: str, config_dict: Mapping[str, Any] | None = None) -> SequenceTask:
    """Build task ``name`` from a dict of config overrides (missing keys keep defaults).

    Raises ValueError naming an unknown task, an unknown config key or a value
    of the wrong type; invalid combinations are reported by the task itself.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    config_cls, task_cls = TASKS[name]
    fields = [f.name for f in dataclasses.fields(config_cls)]
    hints = typing.get_type_hints(config_cls)
    values = dict(config_dict or {})
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f"task.{key}: unknown key for {name}; known: {', '.join(fields)}")
        _check_type(key, value, hints[key])
    return task_cls(config_cls(**values))
