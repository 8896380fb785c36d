"""The development-only files in ../shared (NetSuite's WSDL and XSDs, the XSD validator, wire
examples), found from the repository root.

Users' machines do not have ../shared: every helper here skips the calling test, with the path it
looked for, when the file is absent. Nothing is ever copied into the project.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSD_DIR = SHARED / "netsuite-wsdl-2023_2" / "xsd"
EXAMPLES = SHARED / "reference" / "examples"
_TOOLS = SHARED / "tools"
_XS = "{http://www.w3.org/2001/XMLSchema}"

Validate = Callable[[bytes], list[str]]


def xsd_path(file: str) -> Path:
    path = XSD_DIR / file
    if not path.is_file():
        pytest.skip(f"NetSuite XSDs not present at {XSD_DIR} (only on the build machine)")
    return path


def xsd_enumeration(file: str, simple_type: str) -> set[str]:
    """The values of one ``xs:simpleType`` enumeration of a NetSuite XSD."""
    tree = etree.parse(str(xsd_path(file)))
    (node,) = (t for t in tree.iter(f"{_XS}simpleType") if t.get("name") == simple_type)
    return {str(e.get("value")) for e in node.iter(f"{_XS}enumeration")}


def xsd_elements(file: str) -> set[str]:
    """The names of a NetSuite XSD's top-level ``xs:element`` declarations."""
    return {
        str(e.get("name")) for e in etree.parse(str(xsd_path(file))).getroot().iterchildren(f"{_XS}element")
    }


def soap_validator() -> Validate:
    """shared/tools/validate_soap.validate: a SOAP body's errors against NetSuite's XSDs."""
    if not (_TOOLS / "validate_soap.py").is_file() or not XSD_DIR.is_dir():
        pytest.skip(f"NetSuite XSD validator not present at {_TOOLS} (only on the build machine)")
    if str(_TOOLS) not in sys.path:
        sys.path.insert(0, str(_TOOLS))
    from validate_soap import validate  # type: ignore[import-not-found]

    checked: Validate = validate
    return checked


def example(name: str) -> bytes:
    """A reference wire example (shared/reference/examples)."""
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"reference examples not present at {EXAMPLES} (only on the build machine)")
    return path.read_bytes()
