"""The manifest is written a slice at a time, with the same bytes as one json.dumps."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from badgeflow.site import _manifest
from badgeflow.site._manifest import read_manifest, write_manifest

_KEYS = st.one_of(
    st.text(min_size=1, max_size=40),
    st.from_regex(r"[a-z0-9./_-]{1,60}", fullmatch=True),
)
_ENTRIES = st.dictionaries(_KEYS, st.text(max_size=40), max_size=30)


def _expected(written: str, files: dict[str, str], units: dict[str, str]) -> str:
    written_ns = re.match(r'\{"version":1,"written_ns":(\d+),', written)
    assert written_ns is not None
    return (
        f'{{"version":1,"written_ns":{written_ns.group(1)},"files":'
        + json.dumps(dict(sorted(files.items())), separators=(",", ":"))
        + ',"units":'
        + json.dumps(dict(sorted(units.items())), separators=(",", ":"))
        + "}"
    )


@settings(max_examples=60, deadline=None)
@given(files=_ENTRIES, units=_ENTRIES, slice_size=st.integers(1, 5))
def test_written_as_one_json_dumps_would(tmp_path_factory, files, units, slice_size):
    path = tmp_path_factory.mktemp("m") / "manifest.json"
    original = _manifest._SLICE
    _manifest._SLICE = slice_size  # several slices even for a few entries
    try:
        write_manifest(path, files, units)
    finally:
        _manifest._SLICE = original
    written = path.read_text("utf-8")
    assert written == _expected(written, files, units)
    read_files, read_units, _ = read_manifest(path)
    assert read_files == files and read_units == units


def test_empty_and_awkward_entries(tmp_path):
    path = tmp_path / "manifest.json"
    files = {'a"b': "x\\y", "é/ü": "\x00\x7f", "credentials/1/index.html": "ab 12 3 4"}
    write_manifest(path, files, {})
    written = path.read_text("utf-8")
    assert written == _expected(written, files, {})
    write_manifest(path, {}, {})
    written = path.read_text("utf-8")
    assert written.endswith('"files":{},"units":{}}') and json.loads(written)["files"] == {}
