"""Layer 2: stateful memory access built from layer-1 attention (see DESIGN.md)."""

from attnmem.memory.ntm import NTMAccess, NTMAccessState, NTMInterface

__all__ = ["NTMAccess", "NTMAccessState", "NTMInterface"]
