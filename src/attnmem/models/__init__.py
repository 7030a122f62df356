"""Layer 3: controller + access = architectures, one calling convention (see DESIGN.md).

``MODELS`` is the explicit registry the experiments use: name -> (config class, model class);
a model class is built as ``Model(config, input_size, output_size)``.
"""

from attnmem.models.act import ACT, ACTConfig, ACTState
from attnmem.models.dnc import DNC, DNCConfig, DNCState
from attnmem.models.lstm import LSTMBaseline, LSTMConfig, LSTMState
from attnmem.models.memn2n import MemN2N, MemN2NConfig
from attnmem.models.memnn import MemNN, MemNNConfig
from attnmem.models.ntm import NTM, NTMConfig, NTMState
from attnmem.models.rnn import RNNBaseline, RNNConfig, RNNState
from attnmem.models.trace import Trace
from attnmem.models.transformer import TransformerBabi, TransformerConfig
from attnmem.models.universal_transformer import (
    UniversalTransformer,
    UniversalTransformerConfig,
)

MODELS = {
    "ntm": (NTMConfig, NTM),
    "lstm": (LSTMConfig, LSTMBaseline),
    "memn2n": (MemN2NConfig, MemN2N),
    "dnc": (DNCConfig, DNC),
    "transformer": (TransformerConfig, TransformerBabi),
    "universal_transformer": (UniversalTransformerConfig, UniversalTransformer),
    "memnn": (MemNNConfig, MemNN),
    "act": (ACTConfig, ACT),
    "rnn": (RNNConfig, RNNBaseline),
}

__all__ = [
    "MODELS",
    "NTM",
    "LSTMBaseline",
    "LSTMConfig",
    "LSTMState",
    "MemN2N",
    "MemN2NConfig",
    "NTMConfig",
    "NTMState",
    "Trace",
    "DNC",
    "DNCConfig",
    "DNCState",
    "TransformerBabi",
    "TransformerConfig",
    "UniversalTransformer",
    "UniversalTransformerConfig",
    "MemNN",
    "MemNNConfig",
    "ACT",
    "ACTConfig",
    "ACTState",
    "RNNBaseline",
    "RNNConfig",
    "RNNState",
]
