"""Benchmarks as commands: ``attnmem bench NAME`` writes ``benchmarks/results/NAME.json``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Benchmark:
    description: str
    run: Callable[[Any], dict[str, Any]]


BENCHMARKS: dict[str, Benchmark] = {}
