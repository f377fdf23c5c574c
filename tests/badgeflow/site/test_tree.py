"""Incremental publishing: only changed files are written, stale ones deleted, crashes converge."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from badgeflow.site import layout
from badgeflow.site._tree import manifest_path
from tests.badgeflow.site.factories import GENERATED_AT, build, make_credentials

CID0 = "00000000-0000-4000-8000-000000000000"
CID1 = "00000000-0000-4000-8000-000000000001"
CID2 = "00000000-0000-4000-8000-000000000002"
STATUS = "status/revocation/1"


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file's inode, mtime and bytes: a rewritten file gets a new inode (rename)."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in root.rglob("*")
        if p.is_file()
    }


def touched(before: dict, after: dict) -> set[str]:
    """Paths added, removed, or whose file was replaced."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def status_list(bits: str) -> dict:
    return {"id": f"https://badges.example.org/{STATUS}", "encodedList": bits}


def publish(tmp_path: Path, output: Path | None = None, credentials=None, **overrides):
    """Build the factories' site (CID0 active, CID1 revoked, CID2 suspended) with a status list."""
    return build(
        tmp_path,
        output,
        credentials=make_credentials() if credentials is None else credentials,
        extra_json={STATUS: status_list("u-none")},
        **overrides,
    )


def revoke(credentials, cid: str):
    return [
        dataclasses.replace(c, status="revoked") if c.credential_id == cid else c
        for c in credentials
    ]


def test_a_second_publish_with_nothing_changed_writes_nothing(tmp_path):
    first = publish(tmp_path)
    site = tmp_path / "site"
    before = snapshot(site)
    # A later clock changes nothing on a page: no page prints the build time.
    report = publish(tmp_path, generated_at=GENERATED_AT + timedelta(days=30))
    assert snapshot(site) == before
    assert (report.files_changed, report.files_deleted) == (0, 0)
    assert report.files_unchanged == report.files_written == first.files_written == len(before)
    assert first.files_changed == first.files_written


def test_revoking_one_credential_rewrites_only_its_page_and_the_status_list(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    before = snapshot(site)
    report = build(
        tmp_path,
        credentials=revoke(make_credentials(), CID0),
        extra_json={STATUS: status_list("u-one")},
    )
    assert touched(before, snapshot(site)) == {f"credentials/{CID0}/index.html", STATUS}
    assert (report.files_changed, report.files_deleted) == (2, 0)
    assert report.files_unchanged == len(before) - 2
    assert "Revoked." in (site / "credentials" / CID0 / "index.html").read_text("utf-8")


def test_expiry_changes_only_the_expired_credentials_page(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    before = snapshot(site)
    # CID0 is valid until 2028-01-15; CID1 has no end, CID2 is suspended.
    publish(tmp_path, generated_at=datetime(2028, 2, 1, tzinfo=UTC))
    assert touched(before, snapshot(site)) == {f"credentials/{CID0}/index.html"}
    assert "Expired." in (site / "credentials" / CID0 / "index.html").read_text("utf-8")


def test_removing_a_credential_deletes_its_files_and_folder(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    before = snapshot(site)
    report = publish(tmp_path, credentials=make_credentials(2))
    gone = {f"credentials/{CID2}/index.html", f"credentials/{CID2}.json"}
    gone |= {f"{layout.share_page(CID2)}index.html"}
    gone |= {f"{layout.share_redirect(CID2, c)}index.html" for c in layout.SHARE_CHANNELS}
    assert touched(before, snapshot(site)) == gone
    assert report.files_deleted == len(gone) and report.files_changed == 0
    assert not (site / "credentials" / CID2).exists()
    manifest = json.loads(manifest_path(site).read_text("utf-8"))
    assert set(manifest["files"]) == set(snapshot(site))


def test_a_withheld_credential_loses_its_published_json(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    plain = make_credentials()
    document = json.loads(plain[1].document)
    document["credentialSubject"]["identifier"][0] = {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": False,
        "identityHash": "grace.hopper@example.net",
    }
    plain[1] = dataclasses.replace(plain[1], document=json.dumps(document))
    report = publish(tmp_path, credentials=plain)
    assert not (site / "credentials" / f"{CID1}.json").exists()
    assert not (site / "credentials" / f"{CID1}.png").exists()
    assert (site / "credentials" / CID1 / "index.html").exists()
    assert report.files_deleted == 3  # JSON, PNG, SVG


@pytest.mark.parametrize("manifest", ["{not json", '{"version": 1}', '{"version": 99}', "[]"])
def test_a_corrupt_manifest_still_converges(tmp_path, manifest):
    publish(tmp_path)
    site = tmp_path / "site"
    page = site / "credentials" / CID0 / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Valid.", b"Fake!!"))  # same size, new bytes
    manifest_path(site).write_text(manifest, "utf-8")
    before = snapshot(site)
    report = publish(tmp_path)
    assert page.read_bytes() == original
    assert touched(before, snapshot(site)) == {f"credentials/{CID0}/index.html"}
    assert report.files_changed == 1
    assert json.loads(manifest_path(site).read_text("utf-8"))["version"] == 1


def test_a_file_changed_behind_the_manifest_is_restored(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    css = site / "static" / "site.css"
    original = css.read_bytes()
    css.write_bytes(original + b"/* edited */")
    report = publish(tmp_path)
    assert css.read_bytes() == original and report.files_changed == 1


def test_a_trusted_manifest_entry_spares_reading_the_file(tmp_path):
    """Size, mtime and inode all match an old entry: the file is not read again."""
    publish(tmp_path)
    site = tmp_path / "site"
    path = manifest_path(site)
    manifest = json.loads(path.read_text("utf-8"))
    manifest["written_ns"] += 60 * 10**9  # as if written a minute later: no entry is racy
    path.write_text(json.dumps(manifest), "utf-8")
    css = site / "static" / "site.css"
    stat = css.stat()
    with css.open("r+b") as handle:  # same inode, same size, mtime put back
        handle.write(b"X")
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert publish(tmp_path).files_changed == 0
    assert css.read_bytes().startswith(b"X")
    # The full rebuild, the manual fix for a site edited by hand, does not trust it.
    assert publish(tmp_path, full=True).files_changed == len(snapshot(site))
    assert not css.read_bytes().startswith(b"X")


def test_a_file_edited_just_before_the_manifest_was_written_is_compared_by_content(tmp_path):
    """The racy case: an edit in the same clock tick as the build would fool size + mtime."""
    publish(tmp_path)
    css = tmp_path / "site" / "static" / "site.css"
    original, stat = css.read_bytes(), css.stat()
    with css.open("r+b") as handle:
        handle.write(b"X")
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert publish(tmp_path).files_changed == 1
    assert css.read_bytes() == original


def test_a_full_rebuild_is_byte_identical_to_an_incremental_one(tmp_path):
    publish(tmp_path)
    credentials = revoke(make_credentials(2), CID0)
    incremental = publish(tmp_path, credentials=credentials)
    full = publish(tmp_path, tmp_path / "fresh", credentials=credentials)
    assert {k: v[2] for k, v in snapshot(tmp_path / "site").items()} == {
        k: v[2] for k, v in snapshot(tmp_path / "fresh").items()
    }
    assert full.files_changed == full.files_written == incremental.files_written
    again = publish(tmp_path, credentials=make_credentials(), full=True)
    assert (again.files_changed, again.files_unchanged, again.files_deleted) == (
        again.files_written,
        0,
        0,
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [
        ".fresh.badgeflow-site.json",
        ".site.badgeflow-site.json",
    ]


def test_a_crash_midway_leaves_whole_files_and_the_next_publish_converges(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    old_manifest = manifest_path(site).read_bytes()
    target = revoke(revoke(make_credentials(), CID0), CID2)

    def fail() -> str:
        raise OSError("disk full")

    crashing = list(target)
    crashing[1] = dataclasses.replace(crashing[1], baked_svg=fail)
    with pytest.raises(OSError, match="disk full"):
        publish(tmp_path, credentials=crashing)
    assert "Revoked." in (site / "credentials" / CID0 / "index.html").read_text("utf-8")
    assert "Suspended." in (site / "credentials" / CID2 / "index.html").read_text("utf-8")
    assert manifest_path(site).read_bytes() == old_manifest  # written only at the end
    assert not [p for p in site.rglob("*") if ".tmp-" in p.name]
    # What a process killed mid-write leaves behind: a temporary file, cleaned up next time.
    (site / "credentials" / f".{CID1}.json.tmp-0123456789ab").write_bytes(b'{"half')
    report = publish(tmp_path, credentials=target)
    assert report.files_changed == 1  # CID2's page; CID0's was already written
    assert report.files_deleted == 1  # the temporary file
    publish(tmp_path, tmp_path / "fresh", credentials=target)
    assert {k: v[2] for k, v in snapshot(site).items()} == {
        k: v[2] for k, v in snapshot(tmp_path / "fresh").items()
    }


def test_new_files_are_world_readable(tmp_path):
    publish(tmp_path)
    report = publish(tmp_path, credentials=revoke(make_credentials(), CID2))
    assert report.files_changed == 1
    page = tmp_path / "site" / "credentials" / CID2 / "index.html"
    assert oct(page.stat().st_mode & 0o777) == oct(0o644)


def test_a_new_file_is_written_in_place_and_one_that_appeared_meanwhile_is_replaced(tmp_path):
    from badgeflow.site._tree import TreeWriter

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "late.html").write_bytes(b"appeared after the walk")
    (tmp_path / "a" / "folder.html").mkdir()  # a folder where a file goes
    writer = TreeWriter(tmp_path, {}, {})
    writer.put("a/new.html", b"new")
    writer.put("a/late.html", b"ours")
    writer.put("a/folder.html", b"file")
    writer.put("b/c/deep.html", b"deep")
    assert (tmp_path / "a" / "new.html").read_bytes() == b"new"
    assert (tmp_path / "a" / "late.html").read_bytes() == b"ours"
    assert (tmp_path / "a" / "folder.html").read_bytes() == b"file"
    assert (tmp_path / "b" / "c" / "deep.html").read_bytes() == b"deep"
    assert writer.changed == 4
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    entries, _, _ = writer.collected()
    stat = (tmp_path / "a" / "late.html").stat()
    assert entries["a/late.html"].endswith(f" 4 {stat.st_mtime_ns} {stat.st_ino}")


def test_a_file_half_written_by_a_crash_is_rewritten_next_time(tmp_path):
    publish(tmp_path)
    site = tmp_path / "site"
    page = site / "credentials" / CID1 / "index.html"
    whole = page.read_bytes()
    page.write_bytes(whole[:100])  # as a crash mid-write of a new file leaves it
    report = publish(tmp_path)
    assert page.read_bytes() == whole
    assert report.files_changed == 1
