"""QR codes (segno), for the patient to scan a link at the desk and for authenticator apps."""

import segno


def svg(data: str) -> str:
    """An inline SVG QR code of `data`."""
    return segno.make(data, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
