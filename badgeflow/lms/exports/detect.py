"""Read an export file's bytes into rows: encoding, delimiter and line numbers.

Spreadsheet and LMS exports arrive in whatever the exporting tool wrote: UTF-8 with or without
a byte-order mark, UTF-16 with a mark (Blackboard's Grade Center download), or Windows-1252
(Excel's "CSV" on Western-European Windows), delimited by commas, semicolons (Excel where the
decimal separator is a comma) or tabs. Nothing here guesses beyond that: bytes that decode in
none of these encodings are refused with their offset, so nobody gets silently wrong names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from badgeflow.errors import SourceError
from badgeflow.lms.exports.profiles import PROFILES, ExportProfile

__all__ = [
    "DELIMITERS",
    "Table",
    "columns_of",
    "decode",
    "detect_profile",
    "read_table",
    "sniff_delimiter",
]

DELIMITERS: Final = (",", ";", "\t")
"""The delimiters an export may use."""

_BOMS: Final = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SNIFF_CHARS: Final = 64 * 1024


@dataclass(frozen=True)
class Table:
    """An export file split into its header and data rows.

    Attributes:
        encoding: the encoding the bytes were read with (``utf-8-sig``, ``utf-8``,
            ``utf-16`` or ``cp1252``).
        delimiter: the field delimiter found.
        header: the header row's cells, trimmed.
        header_line: the 1-based file line of the header.
        rows: ``(line, cells)`` for every non-blank data row; ``line`` is the 1-based file
            line where the row starts (a quoted field may span several lines).
    """

    encoding: str
    delimiter: str
    header: tuple[str, ...]
    header_line: int
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode an export's bytes, saying which encoding fitted.

    A byte-order mark decides (UTF-8 or UTF-16); without one the bytes must be strict UTF-8,
    else Windows-1252. Windows-1252 leaves five byte values undefined: a file holding one of
    them is in neither encoding and is refused.

    Args:
        data: the file's bytes.
        path: the file, named in errors.

    Returns:
        ``(text, encoding)``.

    Raises:
        SourceError: the bytes are not valid in the encoding their mark declares, or in
            neither UTF-8 nor Windows-1252; the message names the byte offset.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding, path, f"{encoding} (byte-order mark)"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as not_utf8:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"export {str(path)!r} is neither UTF-8 (invalid byte {_byte(data, not_utf8)}) "
                f"nor Windows-1252 (undefined byte {_byte(data, exc)}); re-save it as UTF-8"
            ) from exc


def _strict(data: bytes, encoding: str, path: Path, label: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"export {str(path)!r} declares {label} but has an invalid byte {_byte(data, exc)}"
        ) from exc


def _byte(data: bytes, exc: UnicodeDecodeError) -> str:
    # utf-8-sig reports offsets past its byte-order mark; count from the file's start.
    offset = exc.start + len(data) - len(exc.object)
    return f"0x{data[offset]:02X} at byte offset {offset}"


def sniff_delimiter(text: str) -> str:
    """Find the delimiter of a CSV text among comma, semicolon and tab.

    `csv.Sniffer` (restricted to those three) looks at the start of the file; when it cannot
    decide, the delimiter that splits the header row into the most fields wins (a
    one-column file is comma-separated).

    Args:
        text: the decoded file.

    Returns:
        One of `DELIMITERS`.
    """
    sample = text[:_SNIFF_CHARS]
    try:
        found = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        found = ""
    header = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    # The sniffer can be fooled by a delimiter common in the data (commas in names); trust it
    # only when it splits the header at least as well as the best candidate.
    if found in DELIMITERS and counts[found] >= counts[best]:
        return found
    return best


def read_table(data: bytes, path: Path) -> Table:
    """Decode an export and split it into header and rows with their file line numbers.

    Args:
        data: the file's bytes.
        path: the file, named in errors.

    Returns:
        The `Table`; blank lines are skipped (they hold no record).

    Raises:
        SourceError: undecodable bytes, no header row, or malformed quoting.
    """
    text, encoding = decode(data, path)
    delimiter = sniff_delimiter(text)
    rows = list(_numbered_rows(text, delimiter, path))
    if not rows:
        raise SourceError(f"export {str(path)!r} is empty: expected a header row")
    (header_line, header), *data_rows = rows
    return Table(
        encoding=encoding,
        delimiter=delimiter,
        header=tuple(cell.strip() for cell in header),
        header_line=header_line,
        rows=tuple(data_rows),
    )


def _numbered_rows(text: str, delimiter: str, path: Path) -> Iterator[tuple[int, tuple[str, ...]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(
                f"export {str(path)!r} is not valid CSV at line {reader.line_num}: {exc}"
            ) from exc
        if any(cell.strip() for cell in cells):
            # A quoted field spanning lines keeps the file's line ending; make it one "\n".
            yield start, tuple(cell.replace("\r\n", "\n") for cell in cells)
        start = reader.line_num + 1


def columns_of(profile: ExportProfile, header: Sequence[str]) -> dict[str, int]:
    """Where each of a profile's fields is in a header (first matching label wins).

    Args:
        profile: the export layout.
        header: the header cells, compared case-insensitively after trimming.

    Returns:
        Field → column index, for the fields found.
    """
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        positions.setdefault(cell.strip().lower(), index)
    found: dict[str, int] = {}
    for name, labels in profile.columns.items():
        hit = next(
            (positions[label.lower()] for label in labels if label.lower() in positions), None
        )
        if hit is not None:
            found[name] = hit
    return found


def _missing(profile: ExportProfile, header: Sequence[str]) -> list[str]:
    found = columns_of(profile, header)
    return [" / ".join(profile.columns[name]) for name in profile.required if name not in found]


def detect_profile(header: Sequence[str], fmt: str, path: Path) -> ExportProfile:
    """Pick the profile of an export from its header row.

    Args:
        header: the header cells.
        fmt: a `PROFILES` key, or ``auto``: the profile whose required columns are all
            present and that recognises the most columns.
        path: the file, named in errors.

    Returns:
        The profile.

    Raises:
        SourceError: the header lacks a required column of the given format (each is
            listed), matches no format, or matches two equally well.
    """
    shown = f"its header is {', '.join(header)!r}"
    if fmt != "auto":
        profile = PROFILES[fmt]
        if missing := _missing(profile, header):
            raise SourceError(
                f"export {str(path)!r} is not a {profile.title}: it lacks required "
                f"column(s) {'; '.join(missing)}; {shown}"
            )
        return profile
    fits = [p for p in PROFILES.values() if not _missing(p, header)]
    if not fits:
        near = "; ".join(
            f"{p.format} lacks required column(s) {', '.join(_missing(p, header))}"
            for p in PROFILES.values()
        )
        raise SourceError(f"export {str(path)!r} matches no known export format ({near}); {shown}")
    best = max(len(columns_of(p, header)) for p in fits)
    tied = [p.format for p in fits if len(columns_of(p, header)) == best]
    if len(tied) > 1:
        raise SourceError(
            f"export {str(path)!r} could be any of {', '.join(tied)}; set the source's format"
        )
    return next(p for p in fits if p.format == tied[0])
