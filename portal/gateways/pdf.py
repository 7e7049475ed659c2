"""HTML to PDF with WeasyPrint."""

from weasyprint import HTML


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Render `html` (resolving relative URLs against `base_url`) to PDF bytes."""
    return HTML(string=html, base_url=base_url).write_pdf()
