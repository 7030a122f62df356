"""Layer 2: stateful memory access built from layer-1 attention (see DESIGN.md)."""

from attnmem.memory.dnc import DNCAccess, DNCAccessState, DNCInterface
from attnmem.memory.memn2n import (
    MemoryEncoder,
    StoryInputs,
    memory_attention,
    memory_read,
    position_encoding,
)
from attnmem.memory.ntm import NTMAccess, NTMAccessState, NTMInterface

__all__ = [
    "NTMAccess",
    "NTMAccessState",
    "NTMInterface",
    "MemoryEncoder",
    "StoryInputs",
    "memory_attention",
    "memory_read",
    "position_encoding",
    "DNCAccess",
    "DNCAccessState",
    "DNCInterface",
]
