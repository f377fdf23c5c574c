"""Parse the cells of an export: flags, dates, scores and counts.

Every parser takes the column label (for the message), the cell (None when empty) and the
row's error list: a cell it cannot read becomes None and one message naming the column goes
into that list, for the contract step to quarantine the row with.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, tzinfo

__all__ = ["parse_count", "parse_date", "parse_flag", "parse_number", "parse_score"]


def parse_flag(
    column: str,
    value: str | None,
    errors: list[str],
    *,
    true: Collection[str],
    false: Collection[str],
) -> bool | None:
    """Read a completion status or yes/no cell against a vocabulary (case-insensitive).

    Args:
        column: the column label, named in the message.
        value: the trimmed cell, None when empty.
        errors: the row's parse errors.
        true: lower-case words meaning completed.
        false: lower-case words meaning not (yet) completed.

    Returns:
        True, False, or None when empty or not in the vocabulary.
    """
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in true:
        return True
    if lowered in false:
        return False
    errors.append(f"{column}: {value!r} is not one of {', '.join(sorted(true) + sorted(false))}")
    return None


def parse_date(
    column: str,
    value: str | None,
    errors: list[str],
    *,
    formats: Sequence[str],
    zone: tzinfo = UTC,
) -> datetime | None:
    """Read a date or date-time in ISO 8601 or one of the given `strptime` formats.

    A value with an offset keeps it; a naive one is taken in `zone` (the export's time
    zone). ISO 8601 is always tried first.

    Args:
        column: the column label, named in the message.
        value: the trimmed cell, None when empty.
        errors: the row's parse errors.
        formats: `datetime.strptime` formats tried after ISO 8601, in order.
        zone: the time zone of naive values.

    Returns:
        An aware UTC datetime, or None.
    """
    if value is None:
        return None
    parsed = _iso(value)
    for fmt in formats:
        if parsed is not None:
            break
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
    if parsed is None:
        others = f" or one of {', '.join(formats)}" if formats else ""
        errors.append(
            f"{column}: {value!r} is not an ISO 8601 date (YYYY-MM-DD[THH:MM:SS]){others}"
        )
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_number(column: str, value: str | None, errors: list[str]) -> float | None:
    """Read a number, allowing a trailing ``%`` and a decimal comma (``82,5``).

    Args:
        column: the column label, named in the message.
        value: the trimmed cell, None when empty.
        errors: the row's parse errors.

    Returns:
        The finite number, or None.
    """
    if value is None:
        return None
    cleaned = value.strip().removesuffix("%").strip()
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        errors.append(f"{column}: {value!r} is not a number")
        return None
    if not math.isfinite(number):
        errors.append(f"{column}: {value!r} is not a finite number")
        return None
    return number


def parse_score(
    column: str, value: str | None, errors: list[str], *, scale: str = "percent"
) -> float | None:
    """Read a score as a percentage: ``85%``, ``85`` or, on a fraction scale, ``0.85``.

    A cell with ``%`` is a percentage whatever the scale. Range checks are the contract's.

    Args:
        column: the column label, named in the message.
        value: the trimmed cell, None when empty.
        errors: the row's parse errors.
        scale: ``percent`` (0-100) or ``fraction`` (0-1, multiplied by 100).

    Returns:
        The score in percent, or None.
    """
    number = parse_number(column, value, errors)
    if number is None or value is None or value.strip().endswith("%"):
        return number
    return round(number * 100, 6) if scale == "fraction" else number


def parse_count(column: str, value: str | None, errors: list[str]) -> int | None:
    """Read a whole number (``6`` or ``6.0``).

    Args:
        column: the column label, named in the message.
        value: the trimmed cell, None when empty.
        errors: the row's parse errors.

    Returns:
        The count, or None.
    """
    if value is None:
        return None
    number = parse_number(column, value, [])
    if number is None or not number.is_integer():
        errors.append(f"{column}: {value!r} is not a whole number")
        return None
    return int(number)
