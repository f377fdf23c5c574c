"""The strict offline document loader and the project's pinned OB 3.0 context."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest
from pyld import BUNDLED_CONTEXTS

from badgeflow.credentials.document_loader import (
    DID_V1_URL,
    OB_V3P0_CONTEXT_URL,
    PINNED_URLS,
    VC_V2_URL,
    make_document_loader,
    strict_document_loader,
)
from badgeflow.errors import ConfigurationError, ContextNotPinned

from .conftest import REFERENCE


def test_pins_exactly_the_contexts_we_use():
    assert PINNED_URLS == {VC_V2_URL, OB_V3P0_CONTEXT_URL, DID_V1_URL}


def test_serves_remote_document_shape():
    remote = strict_document_loader(OB_V3P0_CONTEXT_URL)
    assert remote["documentUrl"] == OB_V3P0_CONTEXT_URL
    assert remote["contentType"] == "application/ld+json"
    assert remote["document"]["@context"]["@protected"] is True


def test_w3c_contexts_come_from_pyld():
    served = strict_document_loader(VC_V2_URL)["document"]
    assert served == json.loads(BUNDLED_CONTEXTS[VC_V2_URL].read_text("utf-8"))


def test_each_load_is_a_fresh_copy():
    first = strict_document_loader(OB_V3P0_CONTEXT_URL)["document"]
    first["@context"]["name"] = "tampered"
    assert strict_document_loader(OB_V3P0_CONTEXT_URL)["document"]["@context"]["name"] != "tampered"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "https://w3id.org/security/data-integrity/v2",
        "http://www.w3.org/ns/credentials/v2",
    ],
)
def test_anything_else_is_not_pinned(url):
    with pytest.raises(ContextNotPinned) as caught:
        strict_document_loader(url, {})
    assert caught.value.url == url


def test_extended_loader_adds_documents_only():
    extra = {"https://example.org/ctx": {"@context": {"@vocab": "https://example.org/#"}}}
    loader = make_document_loader(extra)
    assert loader("https://example.org/ctx", None)["document"] == extra["https://example.org/ctx"]
    assert loader(VC_V2_URL, None)["documentUrl"] == VC_V2_URL
    with pytest.raises(ContextNotPinned):
        loader("https://example.org/other", None)
    with pytest.raises(ConfigurationError, match="may not replace"):
        make_document_loader({VC_V2_URL: {"@context": {}}})


def test_project_ob_context_is_a_normalised_reserialisation():
    text = files("badgeflow.credentials").joinpath("contexts", "ob-v3p0-context-3.0.3.json")
    raw = text.read_text("utf-8")
    assert raw == json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"


def test_project_ob_context_equals_the_official_one():
    """Development check: the official 3.0.3 context parses to the same JSON as ours."""
    official = REFERENCE / "contexts" / "ob-v3p0-3.0.3.json"
    assert official.exists(), f"reference context not available at {official}"
    ours = strict_document_loader(OB_V3P0_CONTEXT_URL)["document"]
    assert ours == json.loads(Path(official).read_text("utf-8"))
