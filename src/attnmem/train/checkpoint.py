"""Checkpoints: written atomically, read with ``weights_only=True``, clear errors.

A checkpoint is a plain dict of tensors and Python primitives (so the safe
``weights_only`` unpickler can read it): model and optimiser state, the data
generator's RNG state, progress counters and the experiment config as a dict.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1
REQUIRED_KEYS = ("format", "step", "model", "optimizer", "experiment")


class CheckpointError(RuntimeError):
    """A run folder has no checkpoint, or its checkpoint cannot be read."""


def checkpoint_path(run_dir: str | os.PathLike) -> Path:
    return Path(run_dir) / CHECKPOINT_NAME


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a
    crash mid-write never leaves a half-written checkpoint where a good one was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save({"format": FORMAT_VERSION, **payload}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code from the file)."""
    path = Path(path)
    if path.is_dir():
        path = checkpoint_path(path)
    if not path.exists():
        raise CheckpointError(
            f"no checkpoint at {path}: is {path.parent} a run folder made by `attnmem train`?"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated file, not a zip, unsafe pickle ...
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not an attnmem checkpoint: {e}"
        ) from e
    if not isinstance(payload, dict) or any(k not in payload for k in REQUIRED_KEYS):
        raise CheckpointError(
            f"checkpoint {path} lacks the keys {REQUIRED_KEYS}: not an attnmem checkpoint"
        )
    if payload["format"] != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format {payload['format']}, this attnmem reads {FORMAT_VERSION}"
        )
    return payload
