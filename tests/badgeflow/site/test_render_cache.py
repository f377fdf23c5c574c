"""The render cache: an incremental publish skips unchanged credentials, yet equals a full build."""

from __future__ import annotations

import dataclasses
import json
from functools import partial
from pathlib import Path

import pytest

from badgeflow.credentials.bake_svg import bake_svg
from badgeflow.site._tree import manifest_path
from badgeflow.site._units import credential_paths
from tests.badgeflow.site.factories import GENERATED_AT, build, make_achievements, make_credentials

STATUS = "status/revocation/1"
CID0 = "00000000-0000-4000-8000-000000000000"


def contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def age_manifest(site: Path) -> None:
    """As if the manifest were written a minute after the files: none of them is racy."""
    path = manifest_path(site)
    manifest = json.loads(path.read_text("utf-8"))
    manifest["written_ns"] += 60 * 10**9
    path.write_text(json.dumps(manifest), "utf-8")


def cacheable(count: int = 6) -> list:
    """Credentials whose inputs can all be digested: SVGs ready or baked by a partial."""
    items = []
    for n, c in enumerate(make_credentials(count)):
        svg = partial(bake_svg, "<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>", c.document)
        items.append(
            dataclasses.replace(
                c,
                baked_svg=svg if n % 3 == 1 else c.baked_svg if n % 3 == 0 else None,
                accept_token=f"{n:032x}" if n % 2 else None,
                jwt=None,
            )
        )
    return items


def step(tmp_path: Path, credentials, **overrides):
    """Publish incrementally, check the result equals a fresh full build, age the manifest."""
    report = build(tmp_path, credentials=credentials, extra_json={STATUS: {"n": 1}}, **overrides)
    fresh = tmp_path / "fresh"
    build(tmp_path, fresh, credentials=credentials, extra_json={STATUS: {"n": 1}}, **overrides)
    assert contents(tmp_path / "site") == contents(fresh)
    manifest = json.loads(manifest_path(tmp_path / "site").read_text("utf-8"))
    assert set(manifest["files"]) == set(contents(tmp_path / "site"))
    age_manifest(tmp_path / "site")
    return report


def replace(credentials, index: int, **changes):
    out = list(credentials)
    out[index] = dataclasses.replace(out[index], **changes)
    return out


def test_status_changes_and_expiry_re_render_only_their_credentials(tmp_path):
    items = cacheable()
    first = step(tmp_path, items)
    assert first.credentials_rendered == 6
    assert step(tmp_path, items).credentials_rendered == 0  # nothing changed: nothing rendered
    items = replace(items, 3, status="revoked")
    assert step(tmp_path, items).credentials_rendered == 1
    items = replace(items, 0, status="suspended")
    assert step(tmp_path, items).credentials_rendered == 1
    items = replace(items, 0, status="active")  # reinstated
    items = replace(items, 2, status="active")
    assert step(tmp_path, items).credentials_rendered == 2
    # Expiry by the clock alone: 0 and 2 (valid until 2028) expire; 4 is revoked.
    later = GENERATED_AT.replace(year=2028, month=6)
    assert step(tmp_path, items, generated_at=later).credentials_rendered == 2
    assert step(tmp_path, items, generated_at=later).credentials_rendered == 0
    assert b"Expired." in (tmp_path / "site" / "credentials" / CID0 / "index.html").read_bytes()


def test_new_changed_and_removed_credentials_and_catalog_changes(tmp_path):
    items = cacheable()
    step(tmp_path, items)
    more = [*items, *cacheable(9)[6:]]
    assert step(tmp_path, more).credentials_rendered == 3
    more = replace(more, 5, learner_name="Grace Hopper", accept_token="f" * 32)
    assert step(tmp_path, more).credentials_rendered == 1
    fewer = more[:7]  # two credentials removed: their files go, nothing re-rendered
    report = step(tmp_path, fewer)
    assert report.credentials_rendered == 0 and report.files_deleted > 0
    # A catalog change (an achievement renamed) re-renders every credential.
    renamed = make_achievements(tmp_path)
    info = dataclasses.replace(renamed[1].info, name="SQL Fundamentals")
    renamed[1] = dataclasses.replace(renamed[1], info=info)
    assert step(tmp_path, fewer, achievements=renamed).credentials_rendered == 7
    page = tmp_path / "site" / "credentials" / fewer[1].credential_id / "index.html"
    assert b"SQL Fundamentals" in page.read_bytes()
    # So does a new base URL.
    other = "https://b.example.org"
    assert step(tmp_path, fewer, achievements=renamed, base_url=other).credentials_rendered == 7


def test_a_file_of_a_cached_credential_changed_behind_the_manifest_is_restored(tmp_path):
    items = cacheable(3)
    step(tmp_path, items)
    page = tmp_path / "site" / "credentials" / items[1].credential_id / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Revoked.", b"Fake!!!!"))
    report = build(tmp_path, credentials=items, extra_json={STATUS: {"n": 1}})
    assert page.read_bytes() == original
    assert (report.credentials_rendered, report.files_changed) == (1, 1)
    removed = tmp_path / "site" / "credentials" / f"{items[1].credential_id}.json"
    age_manifest(tmp_path / "site")
    removed.unlink()
    report = build(tmp_path, credentials=items, extra_json={STATUS: {"n": 1}})
    assert removed.exists() and (report.credentials_rendered, report.files_changed) == (1, 1)


def test_a_credential_baked_by_an_arbitrary_function_is_rendered_every_time(tmp_path):
    items = make_credentials()  # the second one's SVG comes from a lambda
    step(tmp_path, items)
    assert step(tmp_path, items).credentials_rendered == 1


def test_credential_paths_are_exactly_the_files_a_credential_publishes(tmp_path):
    items = cacheable(6)
    items = replace(items, 2, jwt=None, baked_png=None)
    build(tmp_path, credentials=items, extra_json={STATUS: {"n": 1}})
    site = tmp_path / "site"
    manifest = json.loads(manifest_path(site).read_text("utf-8"))
    own = set()
    for credential in items:
        flags = manifest["units"][credential.credential_id].partition(":")[2]
        paths = set(credential_paths(credential, flags))
        assert {
            p
            for p in contents(site)
            if credential.credential_id in p
            or (credential.accept_token and credential.accept_token in p)
        } == paths
        own |= paths
    assert len(own) == sum(
        len(credential_paths(c, manifest["units"][c.credential_id].partition(":")[2]))
        for c in items
    )


@pytest.mark.slow  # two spawned worker processes import the site builder: a few seconds
def test_one_and_two_worker_processes_build_identical_trees(tmp_path):
    items = cacheable(12)
    one = build(tmp_path, tmp_path / "one", credentials=items, full=True, processes=1)
    two = build(tmp_path, tmp_path / "two", credentials=items, full=True, processes=2)
    assert contents(tmp_path / "one") == contents(tmp_path / "two")
    assert (one.pages_written, one.files_written) == (two.pages_written, two.files_written)
    manifests = [json.loads(manifest_path(tmp_path / n).read_text("utf-8")) for n in ("one", "two")]
    assert manifests[0]["units"] == manifests[1]["units"]
    assert set(manifests[0]["files"]) == set(manifests[1]["files"])


@pytest.mark.slow  # two spawned worker processes import the site builder: a few seconds
def test_new_credentials_of_an_incremental_publish_rendered_by_workers_match_one_process(
    tmp_path, monkeypatch
):
    from badgeflow.site import _credential_run

    monkeypatch.setattr(_credential_run, "PARALLEL_FROM", 3)
    items = cacheable(12)
    later = [dataclasses.replace(c, status="revoked") if n == 0 else c for n, c in enumerate(items)]
    reports = []
    for name, processes in (("one", 1), ("two", 2)):
        build(tmp_path, tmp_path / name, credentials=items[:4], extra_json={STATUS: {"n": 1}})
        age_manifest(tmp_path / name)
        reports.append(
            build(
                tmp_path,
                tmp_path / name,
                credentials=later,
                extra_json={STATUS: {"n": 2}},
                processes=processes,
            )
        )
    build(tmp_path, tmp_path / "full", credentials=later, extra_json={STATUS: {"n": 2}}, full=True)
    assert contents(tmp_path / "two") == contents(tmp_path / "one") == contents(tmp_path / "full")
    one, two = reports
    assert (one.files_changed, one.files_unchanged, one.credentials_rendered) == (
        two.files_changed,
        two.files_unchanged,
        two.credentials_rendered,
    )
    assert two.credentials_rendered == 9  # 8 new ones, 1 revoked
    manifests = [json.loads(manifest_path(tmp_path / n).read_text("utf-8")) for n in ("one", "two")]
    assert manifests[0]["units"] == manifests[1]["units"]
    assert set(manifests[0]["files"]) == set(manifests[1]["files"])
