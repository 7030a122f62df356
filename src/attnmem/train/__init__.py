"""Layer 5: one trainer for every model and task (see DESIGN.md)."""

from attnmem.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from attnmem.train.config import TrainConfig
from attnmem.train.trainer import METRICS_NAME, NonFiniteError, Trainer

__all__ = [
    "METRICS_NAME",
    "CheckpointError",
    "NonFiniteError",
    "TrainConfig",
    "Trainer",
    "load_checkpoint",
    "save_checkpoint",
]
