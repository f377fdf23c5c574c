"""Conversions between DataFrame cells and the plain Python values the database takes."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast

import pandas as pd

from badgeflow.models import JSONDict

T = TypeVar("T")

CHUNK = 500
"""Values per ``IN (...)`` list: far below every backend's bound-parameter limit."""


def require_columns(df: pd.DataFrame, columns: Collection[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {', '.join(missing)}")


def rows(df: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [
        dict(zip(columns, values, strict=True))
        for values in df[list(columns)].itertuples(index=False)
    ]


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)  # numpy floats are floats too


def to_str(value: object) -> str | None:
    return None if is_missing(value) else str(value)


def to_float(value: object) -> float | None:
    if is_missing(value):
        return None
    # numpy scalars and Decimals all have an exact-enough str() form.
    return float(value) if isinstance(value, (int, float)) else float(str(value))


def to_int(value: object) -> int | None:
    number = to_float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(number)


def to_bool(value: object) -> bool:
    return False if is_missing(value) else bool(value)


def to_datetime(value: object) -> datetime | None:
    """Return an aware UTC `datetime` (microsecond precision), refusing naive values."""
    if isinstance(value, pd.Timestamp) and value.tzinfo is UTC and not value.nanosecond:
        # A cell of a datetime64[..., UTC] column: what the general path below gives it.
        fast: datetime = value.to_pydatetime()
        return fast
    if is_missing(value):
        return None
    stamp = pd.Timestamp(cast(Any, value))
    if stamp.tzinfo is None:
        raise ValueError(f"naive timestamp {stamp.isoformat()}: badgeflow stores only aware UTC")
    stamp = stamp.tz_convert(UTC)
    if stamp.nanosecond:
        stamp = stamp.floor("us")
    result: datetime = stamp.to_pydatetime()
    return result


def to_payload(value: object) -> JSONDict | None:
    """The raw payload as `to_json` takes it, not yet normalised.

    A JSON column stores the same text for it as for its `to_json` form (both serialise
    unknown types with ``str``), so a row that is only inserted, never compared, can skip
    the normalising round trip. (The one difference: keys that collide once made strings,
    ``{1: ..., "1": ...}``, which no JSON-decoded payload has.)
    """
    if is_missing(value):
        return None
    return dict(value) if isinstance(value, Mapping) else {"value": value}


def to_json(value: object) -> JSONDict | None:
    """Normalise a raw payload to what a JSON column gives back (so comparisons hold)."""
    payload = to_payload(value)
    if payload is None:
        return None
    normalised: JSONDict = json.loads(json.dumps(payload, default=str))
    return normalised


def to_str_list(value: object) -> list[str]:
    if type(value) is tuple or type(value) is list:  # the usual cell: skip the checks below
        return [str(v) for v in value]
    if is_missing(value):
        return []
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [str(v) for v in value]
    return [str(value)]


Kind = Literal["utc", "float", "int", "bool"]


def frame(
    records: list[dict[str, Any]], columns: Sequence[str], kinds: Mapping[str, Kind]
) -> pd.DataFrame:
    """Build a frame whose typed columns have the same dtype whether or not it is empty."""
    df = pd.DataFrame.from_records(records, columns=list(columns))
    for column, kind in kinds.items():
        if kind == "utc":
            df[column] = pd.to_datetime(df[column], utc=True).astype("datetime64[us, UTC]")
        elif kind == "float":
            df[column] = df[column].astype("float64")
        elif kind == "int":
            df[column] = df[column].astype("Int64")  # nullable integers
        else:
            df[column] = df[column].astype("bool")
    return df
