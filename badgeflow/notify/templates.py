"""Email templates the catalog may override, and the check that renders each one once.

A file ``badge_catalog/templates/email/<name>`` replaces the packaged template of the same
name (a jinja2 `ChoiceLoader`: the catalog's folder first). Overrides run in a sandbox, stay
autoescaped and strict about undefined variables, and `template_problems` renders every
template against a sample award at ``badgeflow catalog check`` time, so a broken override
is reported with its file and line instead of failing a send at 3 am.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Final

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from badgeflow.catalog_branding import Branding
from badgeflow.criteria.nodes import Where
from badgeflow.criteria.problems import Problem
from badgeflow.models import AchievementInfo, IssuerInfo
from badgeflow.notify.compose import EmailDesign
from badgeflow.notify.links import award_links
from badgeflow.notify.render import (
    render_award_email,
    render_reissued_email,
    render_revoked_email,
)

__all__ = ["OVERRIDE_DIR", "TEMPLATE_NAMES", "email_environment", "template_problems"]

OVERRIDE_DIR: Final = "templates"
TEMPLATE_NAMES: Final = (
    "email/_macros.html",
    "email/award.html",
    "email/award.txt",
    "email/reissued.html",
    "email/reissued.txt",
    "email/revoked.html",
    "email/revoked.txt",
)
# What HTML email clients strip or block: scripts, external style sheets, forms, frames.
_FORBIDDEN = re.compile(r"<\s*(script|link|form|iframe|object|embed)\b", re.IGNORECASE)
_PLACEHOLDER_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
)


@lru_cache(maxsize=8)
def email_environment(catalog_root: Path) -> Environment | None:
    """The jinja2 environment of a catalog with template overrides, or None without any.

    Args:
        catalog_root: the catalog folder; overrides are under ``templates/email/``.

    Returns:
        A sandboxed, autoescaping, `StrictUndefined` environment looking in the catalog's
        ``templates/`` first and in the packaged templates second; None when the catalog
        overrides nothing (callers then use the packaged environment).
    """
    folder = catalog_root / OVERRIDE_DIR
    if not (folder / "email").is_dir():
        return None
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(folder), PackageLoader("badgeflow", "templates")]),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
    )


def _samples(design: EmailDesign) -> list[tuple[str, Callable[[], EmailMessage]]]:
    base = "https://badges.example.org"
    issuer = IssuerInfo(id="did:web:badges.example.org", name="Sample Academy", url=base)
    achievement = AchievementInfo(
        id=f"{base}/achievements/sample",
        slug="sample",
        name="Sample Badge",
        description="What the sample badge means.",
        criteria_narrative="Complete **the sample course**.\n\n- one\n- two",
        criteria_url=f"{base}/achievements/sample#criteria",
        image_url=f"{base}/achievements/sample.png",
    )
    day = date(2026, 1, 31)
    links = award_links(
        base,
        "00000000-0000-4000-8000-000000000000",
        achievement=achievement,
        issuer=issuer,
        issued=day,
        expires=date(2028, 1, 31),
        accept_token="0" * 32,
    )
    common: dict[str, Any] = {
        "to_address": "learner@example.org",
        "learner_name": "Sample Learner",
        "achievement": achievement,
        "issuer": issuer,
        "from_address": "Sample <badges@example.org>",
        "message_id_domain": "badges.example.org",
        "design": design,
    }
    png = _PLACEHOLDER_PNG
    return [
        (
            "award",
            partial(
                render_award_email,
                **common,
                links=links,
                baked_png=png,
                badge_png=png,
                email_message="Well **done**.",
                issued=day,
                expires=date(2028, 1, 31),
            ),
        ),
        (
            "reissued",
            partial(
                render_reissued_email,
                **common,
                links=links,
                awarded=day,
                baked_png=png,
                badge_png=png,
            ),
        ),
        (
            "revoked",
            partial(
                render_revoked_email,
                **common,
                credential_page=links.credential_page,
                awarded=day,
                reason="sample",
            ),
        ),
    ]


def _where(exc: BaseException, folder: Path) -> Where:
    # jinja2 rewrites tracebacks so template lines appear as frames of the template file.
    where = Where(str(folder / "email"), 1)
    tb = exc.__traceback__
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if Path(file).resolve().is_relative_to(folder.resolve()):
            where = Where(file, tb.tb_lineno)
        tb = tb.tb_next
    return where


def template_problems(catalog_root: Path, branding: Branding | None) -> list[Problem]:
    """Render every email template once against a sample award and report what fails.

    Args:
        catalog_root: the catalog folder.
        branding: the catalog's branding (None when it has problems of its own: the defaults
            are used so the templates are still checked).

    Returns:
        Problems naming the override file (and line, for syntax errors): a file that is not
        a template badgeflow uses, a syntax error, an undefined variable, or HTML email
        clients block (``<script>``, ``<link>``, forms, frames).
    """
    folder = catalog_root / OVERRIDE_DIR
    env = email_environment(catalog_root)
    if env is None:
        return []
    problems: list[Problem] = []
    for path in sorted((folder / "email").iterdir()):
        name = f"email/{path.name}"
        if name not in TEMPLATE_NAMES:
            known = ", ".join(n.removeprefix("email/") for n in TEMPLATE_NAMES)
            problems.append(
                Problem(Where(str(path), 1), f"not an email template badgeflow uses ({known})")
            )
    design = EmailDesign(branding=branding or Branding(), templates=env)
    for kind, render in _samples(design):
        try:
            message = render()
        except TemplateSyntaxError as exc:
            where = Where(exc.filename or str(folder / "email"), exc.lineno or 1)
            problems.append(Problem(where, f"template syntax error: {exc.message}"))
            continue
        except TemplateError as exc:
            problems.append(Problem(_where(exc, folder), f"{kind} email: {exc}"))
            continue
        html = message.get_body(("html",))
        found = _FORBIDDEN.search(str(html.get_content())) if html is not None else None
        if found:
            problems.append(
                Problem(
                    Where(str(folder / f"email/{kind}.html"), 1),
                    f"renders a <{found.group(1).lower()}> element: email clients block it",
                )
            )
    return list(dict.fromkeys(problems))  # a broken macro file fails every kind: report once
