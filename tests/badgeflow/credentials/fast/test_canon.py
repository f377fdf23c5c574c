"""FastCanonicalizer against `proof.canonicalize` on generic JSON-LD (numbers, ids, lists)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld.jsonld import _is_absolute_iri

from badgeflow.credentials.document_loader import make_document_loader
from badgeflow.credentials.fast import FastCanonicalizer
from badgeflow.credentials.fast.shape import _ABSOLUTE_IRI
from badgeflow.credentials.proof import canonicalize
from badgeflow.errors import CredentialError

from .strategies import HOSTILE, TEXT

EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
LOADER = make_document_loader(
    {EXAMPLES: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}
)
CANON = FastCanonicalizer(LOADER)
SCALARS = st.one_of(
    TEXT,
    st.booleans(),
    st.none(),
    st.integers(-(10**22), 10**22),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([87.5, 87.0, 1e21, 0.1, -0.0, 5e-324]),
)
KEYS = st.sampled_from(["alpha", "beta", "gamma", "id", "name", "description"])
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)


def outcome(fn, doc):
    try:
        return fn(doc)
    except CredentialError as exc:
        return (type(exc), str(exc))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=4), st.one_of(HOSTILE, st.just("https://e.org/s")))
def test_fast_canonical_form_equals_the_reference(subject, subject_id):
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": subject_id,
        "type": ["VerifiableCredential"],
        "credentialSubject": subject,
    }
    assert outcome(CANON.canonicalize, doc) == outcome(
        lambda d: canonicalize(d, loader=LOADER), doc
    )


@pytest.mark.parametrize(
    ("value", "lexical"),
    [
        (87.5, '"8.75E1"^^<http://www.w3.org/2001/XMLSchema#double>'),
        (87.0, '"87"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (True, '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
        (10**21, '"1.0E21"^^<http://www.w3.org/2001/XMLSchema#double>'),
    ],
)
def test_numbers_keep_their_json_ld_datatypes(value, lexical):
    canon = FastCanonicalizer(LOADER)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": "urn:x",
        "credentialSubject": {"id": "urn:y", "score": value, "name": "n"},
    }
    for _ in range(2):  # the second run is served by the template
        text = canon.canonicalize(doc)
        assert text == canonicalize(doc, loader=LOADER)
        assert lexical in text
    assert canon.stats.fast >= 1


@given(st.one_of(TEXT, st.from_regex(r"\A[a-z_][a-z+.,-]{0,3}:[^ ]{0,5}\n?\Z")))
@settings(max_examples=300)
def test_absolute_iri_test_is_pyld_s(value):
    assert bool(_ABSOLUTE_IRI.match(value)) == bool(_is_absolute_iri(value))


def test_nested_context_goes_to_the_reference():
    canon = FastCanonicalizer(LOADER)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "credentialSubject": {"@context": {"x": "https://e.org/x"}, "x": "v"},
    }
    assert canon.canonicalize(doc) == canonicalize(doc, loader=LOADER)
    assert (canon.stats.fast, canon.stats.reference) == (0, 1)


def test_template_lines_are_reparsed_without_sentinels():
    canon = FastCanonicalizer(LOADER)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": "urn:uuid:1",
        "credentialSubject": {"name": "S0123N0E", "note": "a\nb"},
    }
    text = canon.canonicalize(canon_doc := dict(doc))
    assert text == canonicalize(canon_doc, loader=LOADER)
    assert not re.search(r"S[0-9a-f]{16}N\d+E", canon.canonicalize(doc))
