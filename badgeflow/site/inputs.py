"""What the site builder publishes: achievements, credentials, and its report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from badgeflow.models import AchievementInfo, JSONDict

__all__ = [
    "CredentialSource",
    "CredentialStatus",
    "SiteAchievement",
    "SiteCredential",
    "SiteReport",
]

CredentialStatus = Literal["active", "revoked", "suspended"]


@dataclass(frozen=True)
class SiteAchievement:
    """An achievement to publish.

    Attributes:
        info: the achievement.
        image_png: its badge image (PNG), copied to ``achievements/<slug>.png``.
        image_svg: its SVG image, if any, copied to ``achievements/<slug>.svg``.
    """

    info: AchievementInfo
    image_png: Path
    image_svg: Path | None = None


@dataclass(frozen=True)
class SiteCredential:
    """A signed credential to publish.

    Attributes:
        credential_id: the uuid part of the credential id (names its files).
        document: the signed credential JSON, written byte-exact.
        achievement_slug: slug of the awarded achievement.
        awarded_at: when it was awarded.
        valid_until: when it expires, or None.
        learner_name: shown on the page when given (never the email address).
        baked_png: the baked badge image (its bytes, or the file holding them, which is
            read only while its page is written), or None.
        status: ``active``, ``revoked`` or ``suspended``.
        baked_svg: the baked SVG badge image, or a function returning it (called only while
            its page is written), or None.
        jwt: the VC-JWT of the same credential, published as ``credentials/<id>.jwt``, or None.
        accept_token: the secret of the learner's accept page (`layout.accept_page`), or None
            for no accept page.
        extra_files: a function returning more files published with the credential, as
            ``(site-relative path, JSON document or bytes)`` pairs (its OB 2.0 copies), or
            None. Made while the credential is written, in a worker process when it pickles
            (a `functools.partial`), and compared with the published files like the site's
            other extra files. Without ``extra_cache`` they are made at every build.
        extra_cache: the digest of everything ``extra_files`` makes its files from (beyond
            the site's own inputs) and the site-relative paths it publishes, or None. Given,
            the extra files join the credential's render cache: a credential kept unchanged
            keeps them too, without making them.
    """

    credential_id: str
    document: str
    achievement_slug: str
    awarded_at: datetime
    valid_until: datetime | None = None
    learner_name: str | None = None
    baked_png: bytes | Path | None = None
    status: CredentialStatus = "active"
    baked_svg: str | Callable[[], str] | None = None
    jwt: str | None = None
    accept_token: str | None = None
    extra_files: Callable[[], Sequence[tuple[str, JSONDict | bytes]]] | None = None
    extra_cache: tuple[str, tuple[str, ...]] | None = None


class CredentialSource(Protocol):
    """The credentials to publish: a list, or a stream that can be counted and iterated again.

    The builder iterates it once (twice when credential pages are in the sitemap), so a
    source can page through the store instead of holding every credential in memory.
    """

    def __len__(self) -> int:
        """How many credentials."""

    def __iter__(self) -> Iterator[SiteCredential]:
        """Every credential, in a stable order."""


@dataclass(frozen=True)
class SiteReport:
    """What `build_site` published.

    Attributes:
        output_dir: the folder the site now lives in.
        pages_written: number of HTML pages.
        credentials_published: number of credentials with a page.
        files_written: number of files of any kind the site holds (rendered by this build).
        files_changed: files written because they were new or their bytes changed (every
            file, on a full rebuild).
        files_unchanged: files left as they were (same bytes).
        files_deleted: files of the previous site the build no longer produces.
        credentials_rendered: credentials whose files were rendered (and compared or
            written); the others were unchanged and kept without rendering. Not compared:
            two builds of the same site are equal however much each had to render.
    """

    output_dir: Path
    pages_written: int
    credentials_published: int
    files_written: int
    files_changed: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    credentials_rendered: int = field(default=0, compare=False)
