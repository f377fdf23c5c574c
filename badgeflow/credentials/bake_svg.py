"""Bake credentials into SVG badge images and read them back (OB 3.0 / 2.0 baking).

OB 3.0: declare ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root
``<svg>`` and put one ``<openbadges:credential>`` element directly after its opening tag, with
the credential JSON in a CDATA section (embedded proof) or the compact JWS in its ``verify``
attribute (VC-JWT). OB 2.0 used ``<openbadges:assertion verify="...">`` in the namespace
``http://openbadges.org``.

The SVG is edited as text at the byte offsets expat reports, so everything else in the file
(declaration, DOCTYPE, comments, formatting) is kept as it was. expat never fetches external
entities or DTDs; entity declarations and internal DTD subsets (billion laughs) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final
from xml.parsers import expat
from xml.sax.saxutils import escape

from badgeflow.errors import CredentialError

__all__ = ["OB2_SVG_NAMESPACE", "OB3_SVG_NAMESPACE", "bake_svg", "bake_svg_ob2", "unbake_svg"]

OB3_SVG_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE: Final = "http://openbadges.org"

_OB3_ELEMENT: Final = f"{OB3_SVG_NAMESPACE} credential"
_OB2_ELEMENT: Final = f"{OB2_SVG_NAMESPACE} assertion"
_SVG_ROOT: Final = "http://www.w3.org/2000/svg svg"


@dataclass
class _Found:
    """One baked element: where it is (UTF-8 byte offsets), its ``verify`` and its text."""

    start: int
    end_tag: int = -1
    verify: str | None = None
    text: list[str] = field(default_factory=list)


@dataclass
class _Scan:
    root: str | None = None
    root_start: int = -1
    root_namespaces: dict[str, str] = field(default_factory=dict)
    found: dict[str, _Found] = field(default_factory=dict)


def _refuse_entities(*_args: object) -> None:
    raise CredentialError("the SVG declares entities; refused (entity expansion attack)")


def _scan(svg: str) -> _Scan:
    """Parse ``svg`` with expat and record the root and the first baked elements."""
    scan = _Scan()
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0
    pending: dict[str, str] = {}
    open_found: list[_Found | None] = []

    def doctype(_name: str, _system: str | None, _public: str | None, internal: int) -> None:
        # A DOCTYPE naming an external DTD (as the 1EdTech samples do) is harmless: expat
        # never fetches it. Entities can only be declared in an internal subset, so refuse one.
        if internal:
            raise CredentialError("the SVG has an internal DTD subset; refused")

    def namespace(prefix: str | None, uri: str) -> None:
        if depth == 0:
            pending[prefix or ""] = uri

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        if depth == 0:
            scan.root, scan.root_start = name, parser.CurrentByteIndex
            scan.root_namespaces.update(pending)
        found: _Found | None = None
        if name in (_OB3_ELEMENT, _OB2_ELEMENT) and name not in scan.found:
            found = _Found(start=parser.CurrentByteIndex, verify=attributes.get("verify"))
            scan.found[name] = found
        open_found.append(found)
        depth += 1

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1
        found = open_found.pop()
        if found is not None:
            found.end_tag = parser.CurrentByteIndex

    def text(data: str) -> None:
        for found in open_found:
            if found is not None:
                found.text.append(data)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = _refuse_entities
    parser.UnparsedEntityDeclHandler = _refuse_entities
    parser.StartNamespaceDeclHandler = namespace
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(svg, True)
    except expat.ExpatError as exc:
        raise CredentialError(f"not well-formed XML: {exc}") from exc
    return scan


def _tag_end(data: bytes, start: int) -> int:
    """Return the offset just past the ``>`` closing the tag at ``start`` (quote-aware)."""
    quote = 0
    for index in range(start, len(data)):
        char = data[index]
        if quote:
            if char == quote:
                quote = 0
        elif char in b"\"'":
            quote = char
        elif char == ord(">"):
            return index + 1
    raise CredentialError("unterminated tag")


def _cdata(payload: str) -> str:
    # "]]>" cannot occur inside CDATA: end the section after "]]" and start a new one for ">".
    return "<![CDATA[" + payload.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: str, payload: str) -> str:
    """Embed an OB 3.0 credential in an SVG image.

    Args:
        svg: the badge image (an ``<svg>`` root element).
        payload: the credential JSON (embedded proof), put in a CDATA section.

    Returns:
        The baked SVG: the original text with ``xmlns:openbadges`` declared on the root, any
        earlier ``<openbadges:credential>`` removed and a new one right after the ``<svg>``
        opening tag.

    Raises:
        CredentialError: not well-formed XML, not an SVG, entity declarations, or the
            ``openbadges`` prefix already bound to another namespace on the root.
    """
    element = f"<openbadges:credential>{_cdata(payload)}</openbadges:credential>"
    return _insert(svg, OB3_SVG_NAMESPACE, _OB3_ELEMENT, element)


def bake_svg_ob2(svg: str, *, verify: str, assertion: str | None = None) -> str:
    """Embed an OB 2.0 assertion in an SVG image (``<openbadges:assertion verify="...">``).

    Args:
        svg: the badge image (an ``<svg>`` root element).
        verify: the hosted assertion's URL, or the compact JWS of a signed assertion.
        assertion: for a hosted assertion, its JSON, put in a CDATA section; None for a JWS
            (the element is then empty).

    Returns:
        The baked SVG, with ``xmlns:openbadges="http://openbadges.org"`` on the root and any
        earlier ``<openbadges:assertion>`` replaced.

    Raises:
        CredentialError: as `bake_svg`.
    """
    attribute = escape(verify, {'"': "&quot;"})
    if assertion is None:
        element = f'<openbadges:assertion verify="{attribute}"/>'
    else:
        element = (
            f'<openbadges:assertion verify="{attribute}">{_cdata(assertion)}</openbadges:assertion>'
        )
    return _insert(svg, OB2_SVG_NAMESPACE, _OB2_ELEMENT, element)


def _insert(svg: str, namespace: str, name: str, element: str) -> str:
    head, tail = _split(svg, namespace, name)
    return f"{head}\n  {element}{tail}"


@lru_cache(maxsize=64)
def _split(svg: str, namespace: str, name: str) -> tuple[str, str]:
    """The baked SVG's text before and after the new element (one parse per image).

    A site bakes every credential of an achievement into the same image: the text around
    the element depends on the image alone, so it is parsed once, not once per credential.
    """
    scan = _scan(svg)
    if scan.root != _SVG_ROOT:
        raise CredentialError(f"the root element is {scan.root!r}, not an SVG <svg>")
    declared = scan.root_namespaces.get("openbadges")
    if declared not in (None, namespace):
        raise CredentialError(f"the openbadges prefix is already bound to {declared}")
    data = svg.encode("utf-8")
    old = scan.found.get(name)
    if old is not None:
        # Drop the old element, and the line break and indentation we put before it.
        end = _tag_end(data, old.start)
        if data[end - 2 : end] != b"/>":  # not an empty element: also drop up to its end tag
            end = _tag_end(data, old.end_tag)
        start = old.start
        while start > 0 and data[start - 1 : start] in (b" ", b"\t", b"\n", b"\r"):
            start -= 1
        data = data[:start] + data[end:]
    root_end = _tag_end(data, scan.root_start)
    if data[root_end - 2 : root_end] == b"/>":
        raise CredentialError("the <svg> element is empty (self-closing); nothing to bake into")
    opening = data[scan.root_start : root_end - 1]
    if declared is None:
        opening += f' xmlns:openbadges="{namespace}"'.encode()
    # Both ends are at a ">" (ASCII), so each part decodes alone.
    return (data[: scan.root_start] + opening + b">").decode("utf-8"), data[root_end:].decode(
        "utf-8"
    )


def unbake_svg(svg: str) -> str:
    """Read the credential baked into an SVG image.

    Args:
        svg: a baked badge image.

    Returns:
        For OB 3.0 ``<openbadges:credential>``, the ``verify`` attribute (a compact JWS) if
        present, otherwise the element's text (the credential JSON), stripped. Failing that,
        for OB 2.0 ``<openbadges:assertion>``, its text (a hosted assertion's JSON) or else
        its ``verify`` attribute (a JWS or the assertion URL).

    Raises:
        CredentialError: not well-formed XML, entity declarations, or no baked credential.
    """
    scan = _scan(svg)
    ob3 = scan.found.get(_OB3_ELEMENT)
    if ob3 is not None:
        body = "".join(ob3.text).strip()
        if ob3.verify or body:
            return ob3.verify or body
    ob2 = scan.found.get(_OB2_ELEMENT)
    if ob2 is not None:
        body = "".join(ob2.text).strip()
        if body or ob2.verify:
            return body or ob2.verify or ""
    raise CredentialError("the SVG carries no baked Open Badge (no openbadges:credential)")
