"""`to_payload` (inserted as is) stores the same JSON text as `to_json` (normalised)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from badgeflow.models import LEARNER_EMAIL, RAW
from badgeflow.store import _frames as fr
from badgeflow.store import upsert_completions
from badgeflow.store.engine import _dumps
from tests.badgeflow.store.factories import completion, completions_frame

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.datetimes(timezones=st.just(UTC)),
)
_json = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=20,
)
_payload = st.one_of(st.dictionaries(st.text(max_size=6), _json, max_size=5), _json)


@settings(max_examples=60)
@given(_payload)
def test_a_payload_stores_the_text_of_its_normalised_form(value):
    fast, slow = fr.to_payload(value), fr.to_json(value)
    if slow is None:
        assert fast is None
    else:
        assert _dumps(fast) == _dumps(slow)


def test_examples_of_types_json_does_not_know():
    value = {"when": datetime(2026, 1, 2, tzinfo=UTC), "d": Decimal("1.50"), "t": (1, "é")}
    assert _dumps(fr.to_payload(value)) == _dumps(fr.to_json(value))
    assert fr.to_payload(math.nan) is None and fr.to_payload(None) is None
    assert fr.to_payload([1, 2]) == {"value": [1, 2]}


def test_new_and_duplicate_rows_store_the_normalised_text(sessions, engine):
    raws = [
        {"n": 1, "when": datetime(2026, 1, 2, tzinfo=UTC), "t": (1, 2)},
        {"n": 2, "d": Decimal("2.5"), "s": "Zoë"},
        [3, "x"],
    ]
    rows = [
        completion(f"{n}:101", **{LEARNER_EMAIL: f"l{n}@example.org", RAW: raw})
        for n, raw in enumerate(raws)
    ]
    # The same record twice in one frame: the second is compared with the first, normalised.
    rows.append(completion("0:101", **{LEARNER_EMAIL: "l0@example.org", RAW: raws[0]}))
    with sessions.begin() as session:
        counts = upsert_completions(session, completions_frame(*rows), batch_id="b1")
    assert (counts.inserted, counts.updated, counts.unchanged) == (3, 0, 1)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(text("SELECT source_record_id, CAST(raw AS TEXT) FROM completions")).all()
        )
    for n, raw in enumerate(raws):
        assert stored[f"{n}:101"] == _dumps(fr.to_json(raw))


@settings(max_examples=60)
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]),
)
def test_a_utc_cell_converts_as_the_general_path_converts_its_text(moment, nanos, zone):
    stamp = pd.Timestamp(moment).tz_localize(zone) + pd.Timedelta(nanoseconds=nanos)
    cell = pd.Series([stamp]).dt.tz_convert("UTC").iloc[0]  # as a UTC column gives it
    fast, general = fr.to_datetime(cell), fr.to_datetime(cell.isoformat())
    assert fast == general
    assert (fast.tzinfo, type(fast)) == (general.tzinfo, type(general)) == (UTC, datetime)
