import os
from pathlib import Path

import pytest
import torch

# Tests run single-threaded like the trainer (see TrainConfig.threads): faster here,
# and the same numbers whatever the machine's core count.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli_env(tmp_path):
    """Environment for `attnmem` subprocesses: one thread, no progress bar noise."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = "1"
    return env
