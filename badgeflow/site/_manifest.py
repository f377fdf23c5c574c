"""The site manifest: what the last build published, read back and checked against the disk.

The manifest (`manifest_path`) maps every published path to its digest, size, mtime and
inode, and every render unit (a credential and its files, see
`badgeflow.site._tree.TreeWriter.keep_unit`) to the digest of what it was rendered from. It
is written last, atomically, and lives *beside* the site folder, not in it: it lists every
path, accept pages included, whose folder name is the learner's secret. An entry is trusted
only when the file's size, mtime and inode still match and the file is older than the
manifest by a margin (a "racily clean" file is compared byte for byte, as git does with its
index); a missing, corrupt or stale manifest only costs rendering every page and reading the
files to compare them.

Entries are kept as short strings (``"<digest> <size> <mtime_ns> <inode>"``, digest ``-``
when not trusted), not tuples: a site of 100,000 credentials has 1.2 million files. The
manifest is written a slice of entries at a time (`write_manifest`), never as one string.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

__all__ = [
    "MANIFEST_SUFFIX",
    "UNTRUSTED",
    "manifest_path",
    "read_manifest",
    "walk",
    "write_manifest",
]

logger = logging.getLogger(__name__)

MANIFEST_SUFFIX: Final = ".badgeflow-site.json"
_VERSION: Final = 1
_RACY_NS: Final = 2_000_000_000
"""Files modified this close to the manifest's writing are compared byte for byte."""
UNTRUSTED: Final = "-"
"""The digest of an entry whose file must be compared by content."""
_PLAIN: Final = re.compile(r'[^"\\\x00-\x1f\x7f-\U0010ffff]*')
"""Text that JSON encodes as itself between quotes (json.dumps, ensure_ascii)."""
_SLICE: Final = 4_096


def manifest_path(output_dir: Path) -> Path:
    """Return where the manifest of the site in ``output_dir`` lives (beside it, hidden)."""
    return output_dir.parent / f".{output_dir.name}{MANIFEST_SUFFIX}"


def _quoted(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    return json.dumps(text)


def _object(entries: Mapping[str, str]) -> list[str]:
    """``entries`` as ``json.dumps(dict(sorted(...)), separators=(",", ":"))``, in slices."""
    keys = sorted(entries)
    slices = []
    for start in range(0, len(keys), _SLICE):
        part = keys[start : start + _SLICE]
        slices.append(",".join(f"{_quoted(k)}:{_quoted(entries[k])}" for k in part))
    return slices


def write_manifest(path: Path, entries: Mapping[str, str], units: Mapping[str, str]) -> None:
    """Write the manifest of what was published, atomically (temp file + rename).

    The same bytes as one ``json.dumps`` of the whole document (sorted keys, no spaces),
    written a slice at a time so a million entries never become one string.

    Args:
        path: the manifest's path (`manifest_path`).
        entries: every published file's entry, by site-relative path.
        units: every render unit's record, by key.
    """
    temporary = path.parent / f"{path.name}.tmp-{uuid.uuid4().hex[:12]}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(f'{{"version":{_VERSION},"written_ns":{time.time_ns()},"files":{{')
        for n, part in enumerate(_object(entries)):
            handle.write("," + part if n else part)
        handle.write('},"units":{')
        for n, part in enumerate(_object(units)):
            handle.write("," + part if n else part)
        handle.write("}}")
    os.replace(temporary, path)


def walk(root: Path, manifest: dict[str, str], cutoff: int, *, stat: bool = True) -> dict[str, str]:
    """Every file under ``root``, with its manifest digest when the entry can be trusted.

    Entries are popped from ``manifest`` as files are found, so the two maps are never
    both whole in memory. Without ``stat`` (a full rebuild only counts what it replaces),
    files are listed by name alone.
    """
    found: dict[str, str] = {}
    if not root.is_dir():
        return found
    stack = [""]  # site-relative folder paths, "" for the root: strings, as Path is slow here
    while stack:
        folder = stack.pop()
        with os.scandir(f"{root}/{folder}" if folder else root) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(relative)
                    continue
                if not stat:
                    found[relative] = ""
                    continue
                info = entry.stat(follow_symlinks=False)
                now = f"{info.st_size} {info.st_mtime_ns} {info.st_ino}"
                old = manifest.pop(relative, None)
                if old is not None and info.st_mtime_ns < cutoff:
                    digest, _, recorded = old.partition(" ")
                    if recorded == now:
                        found[relative] = old
                        continue
                found[relative] = f"{UNTRUSTED} {now}"
    return found


def read_manifest(path: Path) -> tuple[dict[str, str], dict[str, str], int]:
    """The manifest's files and units, and the cutoff below which its entries are trusted."""
    try:
        document: Any = json.loads(path.read_text("utf-8"))
        if document.get("version") != _VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        cutoff = int(document["written_ns"]) - _RACY_NS
        files: dict[str, str] = document.pop("files")
        for name, entry in files.items():
            if not isinstance(entry, str):  # the first manifests: [sha256, size, mtime, inode]
                files[name] = " ".join(str(part) for part in entry)
        units = document.get("units", {})
        if not isinstance(units, dict):
            raise ValueError("units is not an object")
        return files, {str(k): str(v) for k, v in units.items()}, cutoff
    except FileNotFoundError:
        return {}, {}, 0
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        logger.warning("site manifest %s is unusable (%s): comparing file contents", path, exc)
        return {}, {}, 0
