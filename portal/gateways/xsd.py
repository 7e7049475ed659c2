"""Validating an XML document against an XML Schema with lxml."""

from functools import cache
from pathlib import Path

from lxml import etree


@cache
def _schema(path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(path))


def errors(xml: bytes, schema_path: Path) -> list[str]:
    """The schema violations of `xml` ("line N: message"), empty when it is valid."""
    schema = _schema(str(schema_path))
    document = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
