"""Completion reports exported from an LMS as CSV: detection, vendor profiles and reading.

`detect` decodes the bytes (encoding and delimiter) and recognises the vendor from the header,
`profiles` declares each vendor's columns, `values` and `grades` parse cells, and `reader`
builds the canonical records. `badgeflow.lms.csv_export.CsvExportSource` is the source.
"""

from __future__ import annotations

from badgeflow.lms.exports.detect import Table, decode, detect_profile, read_table, sniff_delimiter
from badgeflow.lms.exports.profiles import PROFILES, ExportProfile
from badgeflow.lms.exports.reader import ExportOptions, read_records

__all__ = [
    "PROFILES",
    "ExportOptions",
    "ExportProfile",
    "Table",
    "decode",
    "detect_profile",
    "read_records",
    "read_table",
    "sniff_delimiter",
]
