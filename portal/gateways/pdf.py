"""HTML to PDF with WeasyPrint (imported on the first render: it takes seconds to load)."""


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Render `html` (resolving relative URLs against `base_url`) to PDF bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()
