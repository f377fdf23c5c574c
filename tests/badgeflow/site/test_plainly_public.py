"""The text pre-check never lets through what walking the parsed document refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.errors import CredentialError
from badgeflow.site._documents import _PRIVATE_KEYS, check_public, plainly_public

KEYS = st.sampled_from([*sorted(_PRIVATE_KEYS), "kty", "d", "id", "name", "privateKeyX", "é"])
STRINGS = st.sampled_from(
    ["", "x", "-----BEGIN PRIVATE KEY-----", "PRIVATE  KEY", 'a"b', "a\\b", "\n", "é", "kty"]
)
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), STRINGS),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)


def refused(value) -> bool:
    try:
        check_public(value, "x")
    except CredentialError:
        return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    value=VALUES,
    indent=st.sampled_from([None, 2]),
    ascii_only=st.booleans(),
)
def test_a_plainly_public_text_is_never_refused(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    if plainly_public(text):
        assert not refused(json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"\\u0064": 1, "kty": "OKP"}',
        '{"jwk": {"k\\u0074y": "OKP", "d": "x"}}',
        '{"priv\\u0061teKey": "x"}',
        '{"a": "-----BEGIN PRIVATE\\u0020KEY-----"}',
        '{"jwk": {"kty": "OKP", "d": "x"}}',
        '{"secretKeyMultibase": "z"}',
    ],
)
def test_escapes_and_names_are_walked(text):
    assert not plainly_public(text)
    assert refused(json.loads(text))


def test_an_ordinary_credential_is_plainly_public():
    document = {"id": "urn:uuid:1", "narrative": 'Do "this".\n\\', "proof": {"proofValue": "z"}}
    assert plainly_public(json.dumps(document))
