from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from badgeflow.errors import ConfigurationError
from badgeflow.identity import apply_identity_map, load_identity_map
from badgeflow.lms._frame import FRAME_COLUMNS, to_completion_frame
from badgeflow.models import LEARNER_EMAIL, LEARNER_ID, PARSE_ERRORS

SOURCES = ("lrs-main", "canvas-main")
AT = datetime(2026, 11, 29, tzinfo=UTC)


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "identity.csv"
    path.write_text(text, encoding=encoding)
    return path


def frame(*learners: tuple[str | None, str | None, tuple[str, ...]]) -> pd.DataFrame:
    records = []
    for n, (learner_id, email, errors) in enumerate(learners, start=1):
        record: dict[str, object] = dict.fromkeys(FRAME_COLUMNS)
        record.update(
            {LEARNER_ID: learner_id, LEARNER_EMAIL: email, PARSE_ERRORS: errors, "row_number": n}
        )
        record.update({"raw": {}, "fetched_at": AT})
        records.append(record)
    return to_completion_frame(records)


MAPPING = """source,learner,email
lrs-main,https://lms.example.com::u-1002, Bo.Chen@Example.com
canvas-main,BO@Personal.example.net,bo.chen@example.com
lrs-main,u-7,ann@example.com
lrs-main,u-7,ann.other@example.com
lrs-main,grace@example.com,grace.hopper@example.com
lrs-main,u-9,someone.else@example.com
"""


def test_ids_and_emails_map_to_the_canonical_email(tmp_path):
    mapping = load_identity_map(write(tmp_path, MAPPING), sources=SOURCES)
    no_mbox = ("learner_email: the actor has no mbox; map it", "score: unrelated")

    lrs = apply_identity_map(
        frame(("https://lms.example.com::u-1002", None, no_mbox)), "lrs-main", mapping
    )
    canvas = apply_identity_map(
        frame(("42", " bo@personal.EXAMPLE.net", ())), "canvas-main", mapping
    )

    assert lrs[LEARNER_EMAIL].tolist() == ["bo.chen@example.com"]
    assert lrs[PARSE_ERRORS].tolist() == [("score: unrelated",)]  # the email note is resolved
    assert canvas[LEARNER_EMAIL].tolist() == ["bo.chen@example.com"]
    assert lrs[LEARNER_EMAIL].dtype == frame()[LEARNER_EMAIL].dtype


def test_mappings_are_per_source(tmp_path):
    mapping = load_identity_map(write(tmp_path, MAPPING), sources=SOURCES)

    other = apply_identity_map(
        frame(("https://lms.example.com::u-1002", "x@example.com", ())), "canvas-main", mapping
    )

    assert other[LEARNER_EMAIL].tolist() == ["x@example.com"]
    assert other[PARSE_ERRORS].tolist() == [()]


def test_a_learner_mapped_two_ways_is_never_merged(tmp_path):
    mapping = load_identity_map(write(tmp_path, MAPPING), sources=SOURCES)

    result = apply_identity_map(
        frame(("u-7", None, ()), ("u-9", "grace@example.com", ())), "lrs-main", mapping
    )

    assert result[LEARNER_EMAIL].isna().tolist() == [True, False]
    assert result[LEARNER_EMAIL].tolist()[1] == "grace@example.com"  # left as the source said
    first, second = result[PARSE_ERRORS].tolist()
    assert "ann.other@example.com, ann@example.com; not merged" in first[0]
    assert "grace.hopper@example.com, someone.else@example.com" in second[0]


def test_a_row_without_email_or_mapping_is_reported(tmp_path):
    mapping = load_identity_map(write(tmp_path, MAPPING), sources=SOURCES)
    already = ("learner_email: the actor has no mbox",)

    result = apply_identity_map(
        frame(("u-404", None, ()), ("u-405", None, already), ("u-1", "a@example.com", ())),
        "lrs-main",
        mapping,
    )

    notes = result[PARSE_ERRORS].tolist()
    assert notes[0] == ("learner_email: no email, and learner 'u-404' is not in "
                        "identity.mapping_file",)  # fmt: skip
    assert notes[1] == already  # the connector's note is not repeated
    assert notes[2] == ()


def test_a_bom_is_accepted(tmp_path):
    mapping = load_identity_map(write(tmp_path, MAPPING, "utf-8-sig"), sources=SOURCES)

    assert mapping.lookup("lrs-main", "U-7") == frozenset()  # ids match exactly
    assert mapping.lookup("lrs-main", " Grace@Example.com") == {"grace.hopper@example.com"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source,learner\nlrs-main,u-1\n", "no column email"),
        ("source,learner,email\nmoodle,u-1,a@example.com\n", "line 2: no configured source"),
        ("source,learner,email\nlrs-main,u-1,not-an-email\n", "line 2: needs a learner"),
        ("source,learner,email\nlrs-main,,a@example.com\n", "needs a learner"),
    ],
)
def test_a_bad_mapping_file_is_a_configuration_error(tmp_path, text, message):
    with pytest.raises(ConfigurationError, match=message):
        load_identity_map(write(tmp_path, text), sources=SOURCES)


def test_a_missing_mapping_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_identity_map(tmp_path / "absent.csv", sources=SOURCES)
