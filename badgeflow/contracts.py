"""Data contracts: load the GX suites in ``data_contracts/`` and quarantine failing rows."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from badgeflow.errors import ContractError
from badgeflow.models import (
    COLUMN_NAME,
    COMPLETED_AT,
    EXPECTATION,
    PARSE_ERRORS,
    QUARANTINE_COLUMNS,
    RAW,
    REASON,
    RECORD_KEY,
    ROW_NUMBER,
    SOURCE,
    SOURCE_RECORD_ID,
    VALUE,
    JSONDict,
)

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition

__all__ = [
    "CLOCK_SKEW",
    "COMPLETED_AT_NOT_FUTURE",
    "PARSE_ERROR",
    "ContractReport",
    "Failure",
    "find_failures",
    "load_suite",
    "quarantine_frame",
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
_COLUMN_KWARGS: Final = ("column", "column_A", "column_B")
_LOCK = threading.Lock()
_PLACEHOLDER: Final = re.compile(r"'?\{[^}]*\}'?")
_BATCHES: dict[str, BatchDefinition[Any]] = {}
_DERIVED_FROM: Final = {COMPLETED_AT_NOT_FUTURE: COMPLETED_AT}  # show the value it judged
PARSE_ERROR: Final = "parse_error"
"""`EXPECTATION` of a row quarantined because its connector could not read a value."""


@dataclass(frozen=True)
class Failure:
    """One reason a row failed its contract.

    Attributes:
        expectation: the GX expectation type, or `PARSE_ERROR`.
        column: the column it checked (for a derived column, the one it was derived from).
        value: the offending value as text; None when the cell was empty.
        reason: the expectation's ``meta.reason`` filled with the row's values.
        kind: that reason with the values left out, for counting.
    """

    expectation: str
    column: str | None
    value: str | None
    reason: str
    kind: str


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

    _batch_definition()  # a suite needs an active GX context to be built
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
    failures, summaries = find_failures(suite, checked, shown=shown)
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


def find_failures(
    suite: ExpectationSuite, frame: pd.DataFrame, *, shown: pd.DataFrame | None = None
) -> tuple[dict[int, list[Failure]], list[JSONDict]]:
    """Run a suite over a frame and list, per failing row, each expectation it failed.

    Args:
        suite: the contract.
        frame: the values to check, with a 0-based range index.
        shown: the values reasons are filled from, row for row (default: `frame`); lets the
            caller validate only the columns the suite reads and still name the others.

    Returns:
        Row position → its failures in suite order, and one summary dict per expectation
        (type, columns, success, unexpected_count).

    Raises:
        ContractError: an expectation could not be evaluated at all.
    """
    result = _run(suite, frame)
    found: list[tuple[str, list[str], str, list[int]]] = []
    summaries: list[JSONDict] = []
    for outcome in result.results:
        config = outcome.expectation_config
        info = outcome.exception_info or {}
        if info.get("raised_exception"):
            raise ContractError(
                f"contract {suite.name!r}: expectation {config.type} on "
                f"{_columns_of(config.kwargs)} could not run: {info.get('exception_message')}"
            )
        columns = _columns_of(config.kwargs)
        summaries.append(
            {
                "expectation": config.type,
                "columns": columns,
                "success": bool(outcome.success),
                "unexpected_count": int(outcome.result.get("unexpected_count") or 0),
            }
        )
        template = (config.meta or {}).get("reason") or f"fails {config.type}"
        unexpected = [int(i) for i in outcome.result.get("unexpected_index_list") or []]
        found.append(
            (config.type, [_DERIVED_FROM.get(c, c) for c in columns], template, unexpected)
        )
    # Only failing rows are turned into Python values, all at once (rows one by one through
    # `iloc` cost a millisecond each).
    positions = sorted({p for *_, unexpected in found for p in unexpected})
    source = frame if shown is None else shown
    rows = dict(zip(positions, source.take(positions).to_dict("records"), strict=True))
    texts = {p: _Shown({str(k): v for k, v in row.items()}) for p, row in rows.items()}
    failures: dict[int, list[Failure]] = {}
    for expectation, columns, template, unexpected in found:
        kind = _PLACEHOLDER.sub("…", template)
        for position in unexpected:
            text, row = texts[position], rows[position]
            empty = all(_is_missing(row.get(c)) for c in columns)
            failures.setdefault(position, []).append(
                Failure(
                    expectation=expectation,
                    column=", ".join(columns) or None,
                    value=None
                    if empty
                    else ", ".join(text[c] if c in row else "missing" for c in columns),
                    reason=template.format_map(text),
                    kind=kind,
                )
            )
    return failures, summaries


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


def _run(suite: ExpectationSuite, checked: pd.DataFrame) -> Any:
    # Building a context is cheap (~10 ms) but the data source and asset are shared; one
    # per process, and validations run one at a time because a batch definition is stateful.
    from great_expectations.validator.v1_validator import Validator

    with _LOCK:
        # What `Batch.validate` does, minus building (and fingerprinting) the batch twice:
        # GX hashes the whole frame each time it loads it, a quarter of the run at 1M rows.
        validator = Validator(
            batch_definition=_batch_definition(),
            batch_parameters={"dataframe": checked},
            result_format={"result_format": "COMPLETE"},
        )
        return validator.validate_expectation_suite(suite)


def _batch_definition() -> BatchDefinition[Any]:
    cached = _BATCHES.get("completions")
    if cached is not None:
        return cached
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={},
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("badgeflow").add_dataframe_asset("completions")
    batches = asset.add_batch_definition_whole_dataframe("whole frame")
    _BATCHES["completions"] = batches
    return batches


def _referenced_columns(suite: ExpectationSuite) -> set[str]:
    return {
        str(e.configuration.kwargs[k])
        for e in suite.expectations
        for k in _COLUMN_KWARGS
        if k in e.configuration.kwargs
    }


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    return [str(kwargs[k]) for k in _COLUMN_KWARGS if k in kwargs]


def _messages(errors: Any) -> list[str]:
    if errors is None or (isinstance(errors, float) and math.isnan(errors)):
        return []
    if isinstance(errors, str):
        return [errors] if errors.strip() else []
    return [str(e) for e in errors if str(e).strip()]


class _Shown(dict[str, str]):
    # A row's values as text, each rendered only when a reason template asks for it.
    def __init__(self, row: Mapping[str, Any]) -> None:
        super().__init__()
        self.row = row

    def __missing__(self, key: str) -> str:
        if key not in self.row:
            return f"{{{key}}}"
        self[key] = _show(self.row[key])
        return self[key]


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _show(value: Any) -> str:
    if _is_missing(value):
        return "missing"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    return str(value)


def quarantine_frame(
    rows: pd.DataFrame, failures: list[list[Failure]], positions: list[int]
) -> pd.DataFrame:
    """Build the quarantine rows (`QUARANTINE_COLUMNS`) of some rejected input rows.

    Args:
        rows: the rejected rows, with whichever of `SOURCE`, `ROW_NUMBER`, `RECORD_KEY`,
            `SOURCE_RECORD_ID` and `RAW` they have.
        failures: each row's failures, the first being the one shown in `EXPECTATION`,
            `COLUMN_NAME` and `VALUE`; every reason goes to `REASON`.
        positions: each row's 0-based position in its input (its row number when it has none).

    Returns:
        One quarantine row per rejected row.
    """

    def column(name: str, default: Callable[[int], Any]) -> list[Any]:
        if name in rows.columns:
            return list(rows[name])
        return [default(p) for p in positions]

    if RECORD_KEY in rows.columns:
        keys = rows[RECORD_KEY].tolist()
    else:
        keys = [
            f"{_show(s)}:{_show(r)}"
            for s, r in zip(
                column(SOURCE, lambda _: None),
                column(SOURCE_RECORD_ID, lambda _: None),
                strict=True,
            )
        ]
    firsts = [f[0] if f else None for f in failures]
    return pd.DataFrame(
        {
            SOURCE: column(SOURCE, lambda _: None),
            ROW_NUMBER: column(ROW_NUMBER, lambda p: p + 1),
            RECORD_KEY: keys,
            REASON: ["; ".join(dict.fromkeys(f.reason for f in row)) for row in failures],
            RAW: column(RAW, lambda _: None),
            EXPECTATION: [f.expectation if f else None for f in firsts],
            COLUMN_NAME: [f.column if f else None for f in firsts],
            VALUE: [f.value if f else None for f in firsts],
        },
        columns=list(QUARANTINE_COLUMNS),
    )


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
