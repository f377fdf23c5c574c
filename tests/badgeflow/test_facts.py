from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from badgeflow.errors import ConfigurationError
from badgeflow.facts import load_attestations, load_cohorts, load_facts
from badgeflow.models import ATTESTATION_COLUMNS, COHORT_COLUMNS
from badgeflow.settings import FactsSettings


def write(tmp_path, text, name="facts.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cohorts_are_normalised_and_dates_parsed_to_utc(tmp_path):
    path = write(
        tmp_path,
        "learner_email,cohort,joined_at\n"
        " Ada@Example.com ,2026-autumn,2026-09-01\n"
        "bo@example.com,2026-autumn,2026-09-02T10:00:00+02:00\n"
        "\n"
        "cy@example.com,2026-autumn,\n",
    )
    frame = load_cohorts(path)
    assert list(frame.columns) == list(COHORT_COLUMNS)
    assert frame["learner_email"].tolist() == [
        "ada@example.com",
        "bo@example.com",
        "cy@example.com",
    ]
    assert frame["joined_at"].iloc[0] == pd.Timestamp(datetime(2026, 9, 1, tzinfo=UTC))
    assert frame["joined_at"].iloc[1] == pd.Timestamp("2026-09-02T08:00:00Z")
    assert pd.isna(frame["joined_at"].iloc[2])
    assert str(frame["joined_at"].dtype) == "datetime64[us, UTC]"


def test_the_joined_at_column_is_optional(tmp_path):
    frame = load_cohorts(write(tmp_path, "learner_email,cohort\nada@example.com,x\n"))
    assert len(frame) == 1 and pd.isna(frame["joined_at"].iloc[0])


def test_attestations_load_with_naive_times_taken_as_utc(tmp_path):
    path = write(
        tmp_path,
        "\ufefflearner_email,attestation,attested_by,attested_at\n"
        "ADA@example.com,manager-signoff,grace@example.com,2026-10-02T09:00:00\n",
    )
    frame = load_attestations(path)
    assert list(frame.columns) == list(ATTESTATION_COLUMNS)
    assert frame.iloc[0].to_dict() == {
        "learner_email": "ada@example.com",
        "attestation": "manager-signoff",
        "attested_by": "grace@example.com",
        "attested_at": pd.Timestamp("2026-10-02T09:00:00Z"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("learner_email,attestation,attested_by\n", r"facts\.csv:1: .*no column attested_at"),
        (
            "learner_email,attestation,attested_by,attested_at\na@x.org,s,m@x.org,2026-10-02\n"
            "nobody,s,m@x.org,2026-10-02\n",
            r"facts\.csv:3: learner_email 'nobody' is not an email address",
        ),
        (
            "learner_email,attestation,attested_by,attested_at\na@x.org,s,m@x.org,02/10/2026\n",
            r"facts\.csv:2: attested_at '02/10/2026' is not an ISO 8601",
        ),
        (
            "learner_email,attestation,attested_by,attested_at\na@x.org,s,,2026-10-02\n",
            r"facts\.csv:2: attested_by is empty",
        ),
        (
            "learner_email,attestation,attested_by,attested_at\na@x.org,s,m@x.org,2026-10-02,x\n",
            r"facts\.csv:2: more values than the header",
        ),
    ],
)
def test_a_bad_attestation_line_stops_with_file_and_line(tmp_path, text, message):
    with pytest.raises(ConfigurationError, match=message):
        load_attestations(write(tmp_path, text))


def test_a_bad_cohort_line_stops_with_file_and_line(tmp_path):
    path = write(tmp_path, "learner_email,cohort,joined_at\na@x.org,,2026-01-01\n")
    with pytest.raises(ConfigurationError, match=r"facts\.csv:2: cohort is empty"):
        load_cohorts(path)


def test_load_facts_without_files_gives_empty_frames_and_a_missing_file_is_an_error(tmp_path):
    facts = load_facts(FactsSettings())
    assert facts.cohorts.empty and list(facts.cohorts.columns) == list(COHORT_COLUMNS)
    assert facts.attestations.empty
    with pytest.raises(ConfigurationError, match="facts.cohorts_file .*cannot read"):
        load_facts(FactsSettings(cohorts_file=tmp_path / "nope.csv"))


def test_the_demo_fact_files_load():
    from badgeflow.demo import demo_attestations_path, demo_cohorts_path

    facts = load_facts(
        FactsSettings(cohorts_file=demo_cohorts_path(), attestations_file=demo_attestations_path())
    )
    assert len(facts.cohorts) >= 2 and len(facts.attestations) >= 1
