from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SecurityError

from badgeflow.catalog import load_catalog
from badgeflow.catalog_check import check_catalog
from badgeflow.errors import CatalogError
from badgeflow.notify.templates import TEMPLATE_NAMES, email_environment, template_problems
from badgeflow.pipeline.email_render import email_design
from tests.badgeflow.notify.test_render import render_email

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "catalog" / "tiny"
PACKAGED = Path(__file__).resolve().parents[3] / "badgeflow" / "templates"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "cat"
    shutil.copytree(TINY, target)
    (target / "templates" / "email").mkdir(parents=True)
    return target


def override(root: Path, name: str, text: str) -> Path:
    path = root / "templates" / "email" / name
    path.write_text(text, encoding="utf-8")
    email_environment.cache_clear()
    return path


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_catalog(root).problems]


def test_every_packaged_template_is_known_and_the_packaged_set_passes(root):
    packaged = sorted(f"email/{p.name}" for p in (PACKAGED / "email").iterdir())
    assert packaged == sorted(TEMPLATE_NAMES)
    assert template_problems(root, None) == []  # an empty override folder overrides nothing


def test_an_override_replaces_the_packaged_template_and_stays_autoescaped(root):
    packaged = (PACKAGED / "email" / "award.html").read_text(encoding="utf-8")
    override(root, "award.html", packaged.replace("Congratulations", "Well done"))
    catalog = load_catalog(root)
    message = render_email(design=email_design(catalog), learner_name="<b>Ada</b>")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Well done, &lt;b&gt;Ada&lt;/b&gt;!" in html
    assert "Congratulations" not in html
    assert text.startswith("Hi <b>Ada</b>,")  # the text part still comes from the package


def test_a_syntax_error_is_reported_with_file_and_line(root):
    path = override(root, "award.txt", "Hi {{ learner_name }}\n{% if %}\n")
    assert problems(root) == [
        f"{path}:2: template syntax error: Expected an expression, got 'end of statement block'"
    ]
    with pytest.raises(CatalogError, match="award.txt:2"):
        load_catalog(root)


def test_an_undefined_variable_is_reported_with_file_and_line(root):
    path = override(root, "revoked.txt", "Hello\n{{ learner_nickname }}\n")
    (problem,) = problems(root)
    assert problem.startswith(f"{path}:2: revoked email:")
    assert "learner_nickname" in problem


def test_a_broken_shared_macro_file_is_reported_once(root):
    path = override(root, "_macros.html", "{% macro header(logo, issuer, colours) %}\n")
    (problem,) = problems(root)
    assert problem.startswith(f"{path}:")


def test_scripts_and_unknown_files_are_reported(root):
    packaged = (PACKAGED / "email" / "reissued.html").read_text(encoding="utf-8")
    path = override(
        root,
        "reissued.html",
        packaged.replace("{{ m.close() }}", "<script>x()</script>{{ m.close() }}"),
    )
    typo = override(root, "awrd.html", "<p>hi</p>")
    assert problems(root) == [
        f"{typo}:1: not an email template badgeflow uses (_macros.html, award.html, award.txt, "
        "reissued.html, reissued.txt, revoked.html, revoked.txt)",
        f"{path}:1: renders a <script> element: email clients block it",
    ]


def test_overrides_run_in_a_sandbox(root):
    override(root, "award.txt", "{{ issuer.__class__.__mro__ }}")
    env = email_environment(root)
    assert env is not None
    with pytest.raises(SecurityError):
        env.get_template("email/award.txt").render(issuer=object())
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape("email/award.html") and not env.autoescape("email/award.txt")
