"""Data contracts: load the GX suites in ``data_contracts/`` and quarantine failing rows."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from badgeflow.contracts_rows import (
    PARSE_ERROR,
    Failure,
    batch_definition,
    columns_of,
    find_failures,
    quarantine_frame,
)
from badgeflow.errors import ContractError
from badgeflow.models import COMPLETED_AT, PARSE_ERRORS, RAW, JSONDict

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

__all__ = [
    "CLOCK_SKEW",
    "COMPLETED_AT_NOT_FUTURE",
    "ContractReport",
    "load_suite",
    "validate_completions",
]

logger = logging.getLogger(__name__)

CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far past ``as_of`` a completion time may lie before it counts as "in the future"."""
COMPLETED_AT_NOT_FUTURE: Final = "completed_at_not_future"
"""Derived boolean column: ``completed_at`` is missing or at most ``as_of + CLOCK_SKEW``.
Suites are static, so anything relative to the run's clock is computed before validating."""

_DERIVED: Final[Mapping[str, Callable[[pd.DataFrame, datetime], pd.Series]]] = {
    COMPLETED_AT_NOT_FUTURE: lambda df, as_of: (
        pd.to_datetime(df[COMPLETED_AT], utc=True, errors="coerce").isna()
        | (pd.to_datetime(df[COMPLETED_AT], utc=True, errors="coerce") <= as_of + CLOCK_SKEW)
    ),
}
_NOT_VALIDATED: Final = (RAW, PARSE_ERRORS)  # nested values GX has no business looking at
_DERIVED_FROM: Final = {COMPLETED_AT_NOT_FUTURE: COMPLETED_AT}  # show the value it judged


@dataclass(frozen=True, eq=False)
class ContractReport:
    """The outcome of validating one frame against a contract.

    Attributes:
        accepted: rows that passed every expectation, with the input's columns.
        quarantined: the other rows (`QUARANTINE_COLUMNS`), each with every reason it failed.
        expectation_results: one summary dict per expectation (type, columns, success,
            unexpected_count).
        rows_in: rows received; always ``len(accepted) + len(quarantined)``.
        reason_counts: how often each kind of problem occurred (a row may have several),
            keyed by the reason with its values left out, e.g. ``"score … is outside 0-100"``.
    """

    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    expectation_results: list[JSONDict] = field(default_factory=list)
    rows_in: int = 0
    reason_counts: dict[str, int] = field(default_factory=dict)


def load_suite(contracts_dir: Path, name: str = "lms_completions.v1") -> ExpectationSuite:
    """Load a contract: a GX ExpectationSuite stored as ``<contracts_dir>/<name>.json``.

    Args:
        contracts_dir: the ``data_contracts/`` folder.
        name: suite name, which is also the file name without ``.json``.

    Returns:
        The suite, ready for `validate_completions`.

    Raises:
        ContractError: the file is missing, is not JSON, is not a valid suite, or names another
            suite.
    """
    import great_expectations as gx

    batch_definition()  # a suite needs an active GX context to be built
    path = contracts_dir / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"data contract {name!r} not found at {path}") from None
    except json.JSONDecodeError as exc:
        raise ContractError(f"data contract {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("name") != name:
        raise ContractError(f"data contract {path} must be a suite named {name!r}")
    from great_expectations.expectations.registry import get_expectation_impl

    configs = data.get("expectations")
    if not isinstance(configs, list):
        raise ContractError(f"data contract {path} has no list of expectations")
    try:
        # GX logs and *drops* an expectation it cannot build; check each type first.
        for config in configs:
            get_expectation_impl(config["type"])
        suite = gx.ExpectationSuite(**data)
    except Exception as exc:  # GX raises a zoo of types (pydantic, marshmallow, its own)
        raise ContractError(f"data contract {path} is not a valid GX suite: {exc}") from exc
    if len(suite.expectations) != len(configs):
        raise ContractError(
            f"data contract {path}: GX built {len(suite.expectations)} of "
            f"{len(configs)} expectations; see the great_expectations log for the others"
        )
    return suite


def validate_completions(
    df: pd.DataFrame, *, suite: ExpectationSuite, as_of: datetime
) -> ContractReport:
    """Validate a canonical completion frame and split it into accepted and quarantined rows.

    Rows whose `PARSE_ERRORS` is non-empty are quarantined with those messages too. Each
    expectation may carry ``meta.reason``, a template filled with the row's values
    (``"score {score} is outside 0-100"``), which becomes the quarantine reason.

    Args:
        df: the frame a connector returned (`COMPLETION_COLUMNS`, `ROW_NUMBER`, `PARSE_ERRORS`).
        suite: the contract, from `load_suite`.
        as_of: the batch clock (timezone-aware); completions later than it plus `CLOCK_SKEW`
            are in the future.

    Returns:
        The report; ``rows_in == len(accepted) + len(quarantined)``.

    Raises:
        ContractError: a column the suite requires is missing (the whole input is unusable),
            or an expectation could not be evaluated at all.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    frame = df.reset_index(drop=True)
    required = [
        str(e.configuration.kwargs["column"])
        for e in suite.expectations
        if e.expectation_type == "expect_column_to_exist"
    ]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ContractError(
            f"contract {suite.name!r}: input lacks required column(s) {', '.join(missing)}; "
            "the whole file is unusable"
        )
    shown = frame.drop(columns=[c for c in _NOT_VALIDATED if c in frame.columns])
    checked = _checked(shown, _referenced_columns(suite))
    for column, derive in _DERIVED.items():
        if column in _referenced_columns(suite):
            checked[column] = derive(frame, as_of)
    failures, summaries = find_failures(suite, checked, shown=shown, show_as=_DERIVED_FROM)
    if PARSE_ERRORS in frame.columns:
        for i, errors in enumerate(frame[PARSE_ERRORS].tolist()):
            if isinstance(errors, tuple) and not errors:
                continue  # the common case, skipped cheaply
            raw = frame[RAW].iat[i] if RAW in frame.columns else None
            unreadable = [_parse_failure(m, raw) for m in _messages(errors)]
            if unreadable:
                failures[i] = unreadable + failures.get(i, [])
    bad = sorted(failures)
    keep = np.ones(len(frame), dtype=bool)
    keep[bad] = False
    accepted = df.iloc[np.flatnonzero(keep)]
    quarantined = quarantine_frame(frame.iloc[bad], [failures[i] for i in bad], bad)
    kinds = Counter(f.kind for i in bad for f in failures[i])
    logger.info(
        "contract %s: %d rows in, %d accepted, %d quarantined",
        suite.name,
        len(frame),
        len(accepted),
        len(quarantined),
    )
    return ContractReport(
        accepted=accepted,
        quarantined=quarantined,
        expectation_results=summaries,
        rows_in=len(frame),
        reason_counts={kind: n for kind, n in kinds.most_common() if n},
    )


def _checked(frame: pd.DataFrame, referenced: set[str]) -> pd.DataFrame:
    # GX fingerprints the whole frame and falls back to a per-value Python loop for nullable
    # integer columns: hand it only the columns the suite reads, numbers as float64.
    checked = frame[[c for c in frame.columns if c in referenced]].copy()
    for column in checked.columns:
        dtype = checked[column].dtype
        if (
            isinstance(dtype, pd.api.extensions.ExtensionDtype)
            and pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_bool_dtype(dtype)
        ):
            checked[column] = checked[column].to_numpy(dtype="float64", na_value=np.nan)
    return checked


def _referenced_columns(suite: ExpectationSuite) -> set[str]:
    return {c for e in suite.expectations for c in columns_of(e.configuration.kwargs)}


def _messages(errors: Any) -> list[str]:
    if errors is None or (isinstance(errors, float) and math.isnan(errors)):
        return []
    if isinstance(errors, str):
        return [errors] if errors.strip() else []
    return [str(e) for e in errors if str(e).strip()]


def _parse_failure(message: str, raw: Any) -> Failure:
    # Connectors write "<column label>: <what is wrong>"; the label is also the RAW key of
    # an export's cell, so the offending value can be shown as the file had it.
    label = message.split(":", 1)[0] if ":" in message else None
    value = raw.get(label) if isinstance(raw, dict) and label is not None else None
    return Failure(
        expectation=PARSE_ERROR,
        column=label,
        value=None if value is None else str(value),
        reason=message,
        kind=f"{label or message}: unreadable value",
    )
