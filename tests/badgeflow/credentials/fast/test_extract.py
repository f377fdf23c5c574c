"""Generated matchers accept exactly the documents of their shape."""

from __future__ import annotations

import copy

import pytest

from badgeflow.credentials.fast import FastCanonicalizer
from badgeflow.credentials.fast.extract import generate_matcher, may_hold_float
from badgeflow.credentials.fast.shape import _colon_class, describe
from badgeflow.credentials.proof import canonicalize

from .test_canon import EXAMPLES, LOADER

TERMS = frozenset({"name", "score", "ex"})
DOC = {
    "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
    "id": "urn:uuid:1",
    "type": ["VerifiableCredential"],
    "credentialSubject": {"name": "Ada", "score": 87, "passed": True, "note": None, "ex": "a:b"},
}


def matcher(doc, pinned=None):
    classes = []
    values = describe(doc, TERMS, {}, classes)[1]
    pins = {index: values[index] for index in pinned or ()}
    return generate_matcher(doc, classes, pins, lambda value: _colon_class(value, TERMS)), values


def variant(change):
    doc = copy.deepcopy(DOC)
    change(doc)
    return doc


def test_the_matcher_returns_describe_s_values():
    match, values = matcher(DOC)
    other = variant(lambda d: d["credentialSubject"].update(name="Grace", score=3.0))
    assert match(DOC) == values
    assert match(other) == describe(other, TERMS, {})[1]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["credentialSubject"].update(name="x:y"),  # class: a colon
        lambda d: d["credentialSubject"].update(ex="b"),  # class: no colon
        lambda d: d["credentialSubject"].update(ex="name:b"),  # class: a term prefix
        lambda d: d["credentialSubject"].update(score="87"),  # number -> string
        lambda d: d["credentialSubject"].update(score=True),  # number -> boolean
        lambda d: d["credentialSubject"].update(score=1e22),  # a fixed number
        lambda d: d["credentialSubject"].update(passed=1),  # boolean -> number
        lambda d: d["credentialSubject"].update(note=False),
        lambda d: d["credentialSubject"].update(extra="x"),  # another key
        lambda d: d["credentialSubject"].pop("note"),
        lambda d: d.update(credentialSubject=dict(reversed(d["credentialSubject"].items()))),
        lambda d: d.update(type=["VerifiableCredential", "X"]),  # a keyword value
        lambda d: d.update(type="VerifiableCredential"),
        lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda d: d.update(credentialSubject=[d["credentialSubject"]]),  # dict -> list
    ],
)
def test_the_matcher_refuses_other_shapes(change):
    match, _ = matcher(DOC)
    doc = variant(change)
    assert match(doc) is None
    canon = FastCanonicalizer(LOADER)
    for item in (DOC, doc, DOC, doc):  # both shapes known, in turn
        try:
            expected = canonicalize(item, loader=LOADER)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                canon.canonicalize(item)
        else:
            assert canon.canonicalize(item) == expected


def test_a_pinned_value_belongs_to_its_matcher():
    match, values = matcher(DOC, pinned=[0])
    assert match(DOC) == values
    assert match(variant(lambda d: d.update(id="urn:uuid:2"))) is None


def test_may_hold_float():
    assert not may_hold_float(DOC)
    assert may_hold_float({"a": [{"b": 1.0}]})
