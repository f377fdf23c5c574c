"""Build the canonical completion frame with one fixed set of dtypes, for every connector."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd

from badgeflow.models import (
    COMPLETED,
    COMPLETED_AT,
    COMPLETION_COLUMNS,
    FETCHED_AT,
    MODULES_COMPLETED,
    MODULES_TOTAL,
    PARSE_ERRORS,
    PROGRESS_PCT,
    RAW,
    ROW_NUMBER,
    SCORE,
)

__all__ = ["FRAME_COLUMNS", "SCORE_KINDS", "to_completion_frame"]

FRAME_COLUMNS: Final = (*COMPLETION_COLUMNS, ROW_NUMBER, PARSE_ERRORS)
"""Every column a `CompletionSource` returns, in order."""

SCORE_KINDS: Final = ("final_assessment", "course_total", "none")
"""The allowed values of `SCORE_KIND`."""

# Nullable dtypes so "missing" survives (a plain bool/int column cannot hold it). Datetimes are
# microsecond UTC: the nanosecond default overflows after 2262, which a typo in an export reaches.
_DTYPES: Final[Mapping[str, str]] = {
    COMPLETED: "boolean",
    COMPLETED_AT: "datetime64[us, UTC]",
    FETCHED_AT: "datetime64[us, UTC]",
    SCORE: "float64",
    PROGRESS_PCT: "float64",
    MODULES_COMPLETED: "Int64",
    MODULES_TOTAL: "Int64",
    ROW_NUMBER: "int64",
}
_OBJECT_COLUMNS: Final = (RAW, PARSE_ERRORS)


def to_completion_frame(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Turn connector records into the canonical completion frame.

    Args:
        records: one mapping per row, keyed by every name in `FRAME_COLUMNS`; missing
            values are None. `RAW` holds a dict and `PARSE_ERRORS` a tuple of str.

    Returns:
        A frame with exactly `FRAME_COLUMNS`, in order, and the same dtypes whatever the
        connector: nullable ``boolean``/``Int64`` for flags and counts, ``float64`` for
        percentages, ``datetime64[us, UTC]`` for times, ``object`` for `RAW` and
        `PARSE_ERRORS`, and pandas' default string dtype for the text columns.
    """
    columns: dict[str, list[object]] = {name: [] for name in FRAME_COLUMNS}
    for record in records:
        for name in FRAME_COLUMNS:
            columns[name].append(record[name])
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype=_dtype_of(name), index=range(len(values)))
            for name, values in columns.items()
        },
        columns=list(FRAME_COLUMNS),
    )
    return frame


def _dtype_of(name: str) -> str:
    if name in _DTYPES:
        return _DTYPES[name]
    if name in _OBJECT_COLUMNS:
        return "object"
    return "str"
