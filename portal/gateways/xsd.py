"""Validating an XML document against an XML Schema with lxml (imported on first use)."""

from functools import cache
from pathlib import Path

from portal.gateways.lazy import LazyModule

etree = LazyModule("lxml.etree")


@cache
def _schema(path: str):
    return etree.XMLSchema(etree.parse(path))


def errors(xml: bytes, schema_path: Path) -> list[str]:
    """The schema violations of `xml` ("line N: message"), empty when it is valid."""
    schema = _schema(str(schema_path))
    document = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
