"""Benchmarks as commands: ``attnmem bench NAME`` writes ``benchmarks/results/NAME.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Benchmark:
    description: str
    run: Callable[[Any], dict[str, Any]]


BENCHMARKS: dict[str, Benchmark] = {}
