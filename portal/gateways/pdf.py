"""HTML to PDF with WeasyPrint, and the files embedded in a PDF (pyHanko). Both are imported
on first use: WeasyPrint takes seconds to load, and most workers never render a PDF."""

from io import BytesIO


def html_to_pdf(
    html: str, base_url: str, attachments: list[tuple[str, bytes, str]] | None = None
) -> bytes:
    """Render `html` (resolving relative URLs against `base_url`) to PDF bytes.

    `attachments` are `(file name, bytes, description)` embedded byte for byte as PDF
    embedded files (readable with any PDF reader's attachments pane, or `pdfdetach`)."""
    from weasyprint import HTML, Attachment

    files = [
        Attachment(file_obj=BytesIO(data), name=name, description=description)
        for name, data, description in attachments or ()
    ]
    return HTML(string=html, base_url=base_url).write_pdf(attachments=files)


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """The embedded files of `pdf` by name (document-level attachments only)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    root = PdfFileReader(BytesIO(pdf)).root
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return {}
    return {str(names[i]): names[i + 1]["/EF"]["/F"].data for i in range(0, len(names), 2)}
