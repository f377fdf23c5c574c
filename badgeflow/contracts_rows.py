"""Row-level outcomes of a GX suite: which rows failed which expectation, and on what value.

Shared by the canonical contract (`badgeflow.contracts`) and the export contracts
(`badgeflow.contracts_export`): `find_failures` runs a suite and lists each failing row's
failures with the offending value; `quarantine_frame` turns them into quarantine rows, one
per input row, every reason in `REASON` and the first failure in `EXPECTATION`,
`COLUMN_NAME` and `VALUE`.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from badgeflow.errors import ContractError
from badgeflow.models import (
    COLUMN_NAME,
    EXPECTATION,
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
    "PARSE_ERROR",
    "Failure",
    "batch_definition",
    "columns_of",
    "find_failures",
    "quarantine_frame",
]

_COLUMN_KWARGS: Final = ("column", "column_A", "column_B")
_LOCK = threading.Lock()
_PLACEHOLDER: Final = re.compile(r"'?\{[^}]*\}'?")
_BATCHES: dict[str, BatchDefinition[Any]] = {}
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


def find_failures(
    suite: ExpectationSuite,
    frame: pd.DataFrame,
    *,
    shown: pd.DataFrame | None = None,
    show_as: Mapping[str, str] | None = None,
) -> tuple[dict[int, list[Failure]], list[JSONDict]]:
    """Run a suite over a frame and list, per failing row, each expectation it failed.

    Args:
        suite: the contract.
        frame: the values to check, with a 0-based range index.
        shown: the values reasons are filled from, row for row (default: `frame`); lets the
            caller validate only the columns the suite reads and still name the others.
        show_as: checked column → the column whose value is the offending one (a derived
            flag is shown as the value it was derived from).

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
                f"{columns_of(config.kwargs)} could not run: {info.get('exception_message')}"
            )
        columns = columns_of(config.kwargs)
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
            (config.type, [(show_as or {}).get(c, c) for c in columns], template, unexpected)
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


def _run(suite: ExpectationSuite, checked: pd.DataFrame) -> Any:
    # Building a context is cheap (~10 ms) but the data source and asset are shared; one
    # per process, and validations run one at a time because a batch definition is stateful.
    from great_expectations.validator.v1_validator import Validator

    with _LOCK:
        # What `Batch.validate` does, minus building (and fingerprinting) the batch twice:
        # GX hashes the whole frame each time it loads it, a quarter of the run at 1M rows.
        validator = Validator(
            batch_definition=batch_definition(),
            batch_parameters={"dataframe": checked},
            result_format={"result_format": "COMPLETE"},
        )
        return validator.validate_expectation_suite(suite)


def batch_definition() -> BatchDefinition[Any]:
    """Return the process's GX batch definition for in-memory frames, built on first use.

    Returns:
        A whole-dataframe batch definition of an ephemeral context with no stores on disk.
    """
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


def columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    """List the columns an expectation's kwargs name (``column``, ``column_A``, ``column_B``).

    Args:
        kwargs: an expectation configuration's kwargs.

    Returns:
        The column names, in that order.
    """
    return [str(kwargs[k]) for k in _COLUMN_KWARGS if k in kwargs]


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
