"""The transposed convolution's spec lives with the convolution's (``symconv.layers.conv.spec``)."""

from __future__ import annotations

from ..conv.spec import ConvTranspose2D, transposed_size

__all__ = ["ConvTranspose2D", "transposed_size"]
