"""attnmem: attention and memory in deep learning, in PyTorch.

Layers (see DESIGN.md): ``attention`` (pure functions) -> ``memory`` (access
modules) -> ``models`` -> ``tasks`` -> ``train`` -> ``experiments``; ``analysis``
and ``viz`` read ``Trace`` objects; ``cli`` is the entry point.
"""

__version__ = "0.1.0"
