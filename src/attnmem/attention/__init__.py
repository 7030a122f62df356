"""Layer 1: attention mechanisms as pure tensor functions (see DESIGN.md)."""

from attnmem.attention.content import (
    COSINE_EPSILON,
    content_weights,
    cosine_similarity,
    dot_product_weights,
)
from attnmem.attention.location import circular_shift, interpolate, sharpen
from attnmem.attention.multihead import (
    attention_weights,
    key_padding_mask,
    scaled_dot_product,
    scaled_dot_product_reference,
)
from attnmem.attention.readwrite import erase_add_write, soft_read

__all__ = [
    "COSINE_EPSILON",
    "circular_shift",
    "content_weights",
    "cosine_similarity",
    "dot_product_weights",
    "erase_add_write",
    "interpolate",
    "sharpen",
    "soft_read",
    "attention_weights",
    "key_padding_mask",
    "scaled_dot_product",
    "scaled_dot_product_reference",
]
