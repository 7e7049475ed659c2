"""QR codes through segno: the one place that imports it."""

import segno


def svg(url: str) -> str:
    """An inline SVG QR code of `url` (black on white, medium error correction)."""
    return segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
