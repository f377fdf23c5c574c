"""Generated templates: value-dependent order of subjects and lines, coinciding quads."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from badgeflow.credentials.fast import FastCanonicalizer
from badgeflow.credentials.proof import canonicalize

from .strategies import TEXT
from .test_canon import EXAMPLES, LOADER, outcome

# One canonicaliser for the module: later examples run on templates compiled by earlier ones.
CANON = FastCanonicalizer(LOADER)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Subjects that are equal, prefixes of one another, or hold the characters that end a term.
IRIS = st.sampled_from(
    [
        "urn:x",
        "urn:x:y",
        "urn:x>",
        "urn:x> <urn:y",
        "urn:x\n",
        "https://e.org/a",
        "https://e.org/a#b",
        "https://e.org/a b",
        "https://e.org/a/",
        "_:b0",
        "did:web:e.org",
    ]
)
# Words that sort by their tails, coincide, or differ only past a prefix.
WORDS = st.one_of(
    st.sampled_from(["data", "data-skills", "data\n", "Data", "", "dat", 'data"', "data\\"]),
    TEXT,
)


def same_as_reference(doc):
    assert outcome(CANON.canonicalize, doc) == outcome(
        lambda d: canonicalize(d, loader=LOADER), doc
    )


@SETTINGS
@given(IRIS, IRIS, IRIS, IRIS, st.lists(WORDS, min_size=3, max_size=3))
def test_subject_groups_sort_by_their_values(credential, issuer, subject, thing, words):
    same_as_reference(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
            "id": credential,
            "type": ["VerifiableCredential"],
            "issuer": {"id": issuer, "name": words[0]},
            "credentialSubject": {
                "id": subject,
                "knows": {"id": thing, "name": words[1]},
                "tag": words,
            },
        }
    )


@SETTINGS
@given(st.lists(WORDS, min_size=4, max_size=4), st.lists(WORDS, min_size=2, max_size=2))
def test_lines_of_one_predicate_sort_and_coincide(tags, notes):
    # Blank nodes whose quads coincide (equal notes) go to the reference; equal tags of an
    # IRI subject are one quad.
    same_as_reference(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
            "id": "urn:uuid:1",
            "credentialSubject": {
                "tag": tags,
                "evidence": [{"note": notes[0]}, {"note": notes[1]}],
                "result": {"note": notes, "name": tags[0]},
            },
        }
    )


def test_ordering_cases_take_the_template():
    canon = FastCanonicalizer(LOADER)
    base = {
        "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES],
        "id": "urn:x",
        "credentialSubject": {"id": "urn:y", "tag": ["b", "a", "b"], "name": "n"},
    }
    for ids in (("urn:x", "urn:y"), ("urn:x", "urn:x"), ("urn:y", "urn:x"), ("urn:x", "urn:x:y")):
        doc = {**base, "id": ids[0], "credentialSubject": {**base["credentialSubject"]}}
        doc["credentialSubject"]["id"] = ids[1]
        assert canon.canonicalize(doc) == canonicalize(doc, loader=LOADER)
    assert canon.stats.reference == 0
