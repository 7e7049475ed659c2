"""QR codes through segno: the one place that imports it, on the first code drawn."""


def svg(url: str) -> str:
    """An inline SVG QR code of `url` (black on white, medium error correction)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
