"""The in-browser verifier in a real headless Chromium, on a site of really signed credentials.

Each credential page checks its own proof, issuer, dates and status lists with the site's
bundled JavaScript (WebCrypto Ed25519, jsonld.js canonicalisation, contexts from the site);
the `page` fixture fails any test whose page asks for anything beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import logging

import pytest

from badgeflow.site.serve import serve
from tests.badgeflow.credentials.conftest import reference_path
from tests.badgeflow.credentials.test_proof import W3C_EXAMPLES_CONTEXT
from tests.badgeflow.site.signed_site import HOSTILE_NAME, build_signed_site, cid
from tests.site_js import ensure_site_js

pytestmark = pytest.mark.slow

logger = logging.getLogger(__name__)

RESULT = ".verify-result:not([data-verify-state=pending])"
VECTORS = "vectors/eddsa-rdfc-2022/w3c"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    signed = build_signed_site(tmp_path_factory.mktemp("signed"))
    # The W3C vector uses the examples context, which the site does not publish: add it to
    # the loader's index of this test site only.
    contexts = signed.root / "contexts"
    (contexts / "test-examples-v2.json").write_text(
        json.dumps(next(iter(W3C_EXAMPLES_CONTEXT.values())))
    )
    index = json.loads((contexts / "index.json").read_text())
    index[next(iter(W3C_EXAMPLES_CONTEXT))] = "contexts/test-examples-v2.json"
    (contexts / "index.json").write_text(json.dumps(index))
    return signed


@pytest.fixture(scope="module")
def site(signed):
    with serve(signed.root, port=0) as server:
        yield server


def result_of(page):
    box = page.locator(RESULT)
    box.wait_for(timeout=20_000)
    checks = page.eval_on_selector_all(
        ".verify-check",
        "els => Object.fromEntries(els.map(e => [e.dataset.check, e.dataset.passed]))",
    )
    return box.get_attribute("data-verify-state"), box.inner_text(), checks


def open_credential(page, site, name):
    page.goto(f"{site.url}credentials/{cid(name)}/")
    return result_of(page)


def test_a_valid_credential_is_verified(page, site):
    state, text, checks = open_credential(page, site, "valid")
    assert state == "verified", text
    assert "Verified" in text
    assert checks == {"signature": "true", "issuer": "true", "dates": "true", "status": "true"}
    elapsed = page.get_attribute("[data-verify-panel]", "data-verify-ms")
    again = page.evaluate(
        """async url => {
            const v = window.badgeflowVerifier, site = await v.site();
            const document = await (await fetch(url)).json();
            const started = performance.now();
            const result = await v.verifyCredential(document, {site});
            return [result.state, Math.round(performance.now() - started)];
        }""",
        f"{site.url}credentials/{cid('valid')}.json",
    )
    assert again[0] == "verified"
    # A figure for the README, not an assertion: first check on a fresh page (fetches included),
    # then the same check again with the contexts and status lists already loaded.
    logger.warning("in-browser verification: %s ms on page load, %s ms warm", elapsed, again[1])


def test_a_tampered_credential_is_rejected(page, site):
    state, text, checks = open_credential(page, site, "tampered")
    assert state == "tampered", text
    assert "Tampered / signature invalid" in text
    assert checks["signature"] == "false"
    assert checks["status"] == "null"  # nothing else is trusted once the signature fails


def test_a_revoked_credential_is_shown_revoked(page, site):
    state, text, checks = open_credential(page, site, "revoked")
    assert (state, checks["signature"], checks["status"]) == ("revoked", "true", "false"), text
    assert "Revoked" in text


def test_a_suspended_credential_is_shown_suspended(page, site):
    state, text, checks = open_credential(page, site, "suspended")
    assert (state, checks["signature"], checks["status"]) == ("suspended", "true", "false"), text
    assert "Suspended" in text


def test_an_expired_credential_is_shown_expired(page, site):
    state, text, checks = open_credential(page, site, "expired")
    assert (state, checks["signature"], checks["dates"]) == ("expired", "true", "false"), text
    assert "Expired" in text and "2021-01-01" in text


def test_the_verify_page_verifies_a_dropped_baked_png(page, site, signed):
    page.goto(f"{site.url}verify/index.html")
    png = list(signed.pngs["valid"])
    page.evaluate(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], 'badge.png', {type: 'image/png'}));
            const drop = document.querySelector('.verify-drop');
            drop.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
        }""",
        png,
    )
    state, text, _ = result_of(page)
    assert state == "verified", text
    assert "Data Foundations" in page.inner_text(".verify-summary")


def test_the_verify_page_reads_a_chosen_baked_svg(page, site, signed, tmp_path):
    page.goto(f"{site.url}verify/index.html")
    svg = tmp_path / "badge.svg"
    svg.write_text(signed.svgs["revoked"], "utf-8")
    page.set_input_files("#verify-file", str(svg))
    state, text, _ = result_of(page)
    assert state == "revoked", text


def test_the_verify_page_rejects_pasted_tampered_json(page, site, signed):
    page.goto(f"{site.url}verify/index.html")
    page.fill("#verify-json", json.dumps(signed.documents["tampered"]))
    page.click(".verify-form button[type=submit]")
    state, text, _ = result_of(page)
    assert state == "tampered", text
    page.fill("#verify-json", json.dumps(signed.documents["future"]))
    page.click(".verify-form button[type=submit]")
    box = page.locator('.verify-result[data-verify-state="not-yet-valid"]')
    box.wait_for(timeout=20_000)
    assert "Not yet valid" in box.inner_text() and "2098-01-01" in box.inner_text()
    page.fill("#verify-json", "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln")
    page.click(".verify-form button[type=submit]")
    box = page.locator('.verify-result[data-verify-state="error"]')
    box.wait_for(timeout=20_000)
    assert "VC-JWT" in box.inner_text()


def test_hostile_titles_verify_and_are_shown_as_text(page, site, signed):
    # HTML, quotes, right-to-left text and control characters (which RDFC-1.0 escapes as
    # \b, \f and \u0001: the Python signer and jsonld.js must agree byte for byte).
    page.goto(f"{site.url}verify/index.html")
    page.fill("#verify-json", json.dumps(signed.documents["hostile"]))
    page.click(".verify-form button[type=submit]")
    state, text, _ = result_of(page)
    assert state == "verified", text
    shown = page.eval_on_selector(
        ".verify-summary dd", "dd => [dd.textContent, dd.children.length]"
    )
    assert shown == [HOSTILE_NAME, 0]
    assert page.locator("img[src=x]").count() == 0


def test_an_undefined_term_is_refused_not_silently_dropped(page, site, signed):
    doc = {**signed.documents["valid"], "sneaky": "not covered by the signature"}
    page.goto(f"{site.url}verify/index.html")
    page.fill("#verify-json", json.dumps(doc))
    page.click(".verify-form button[type=submit]")
    state, text, _ = result_of(page)
    assert state == "tampered" and "sneaky" in text, text


def test_another_issuers_did_web_is_not_fetched(page, site, signed):
    doc = json.loads(json.dumps(signed.documents["valid"]))
    doc["proof"][0]["verificationMethod"] = "did:web:elsewhere.example#key-1"
    page.goto(f"{site.url}verify/index.html")
    page.fill("#verify-json", json.dumps(doc))
    page.click(".verify-form button[type=submit]")
    state, text, _ = result_of(page)
    assert state == "error" and "Issuer not served by this site" in text, text


def test_the_w3c_vector_verifies_and_hashes_byte_for_byte(page, site):
    vectors = {
        name: reference_path(f"{VECTORS}/{name}").read_text("utf-8")
        for name in (
            "signedDataInt.json",
            "canonDocDataInt.txt",
            "proofCanonDataInt.txt",
            "docHashDataInt.txt",
            "proofHashDataInt.txt",
        )
    }
    page.goto(f"{site.url}verify/index.html")
    got = page.evaluate(
        """async signed => {
            const v = window.badgeflowVerifier;
            const site = await v.site();
            const hashes = await v.hashData(signed, signed.proof, site.loader);
            const result = await v.verifyCredential(signed, {site});
            return {hashes: {...hashes, data: null}, checks: result.checks};
        }""",
        json.loads(vectors["signedDataInt.json"]),
    )
    assert got["hashes"]["canonicalDocument"] == vectors["canonDocDataInt.txt"]
    assert got["hashes"]["canonicalProof"] == vectors["proofCanonDataInt.txt"]
    assert got["hashes"]["documentHash"] == vectors["docHashDataInt.txt"].strip()
    assert got["hashes"]["proofHash"] == vectors["proofHashDataInt.txt"].strip()
    checks = {check["name"]: check for check in got["checks"]}
    assert checks["signature"]["passed"] is True, checks
    # The vector's issuer (https://vc.example/issuers/5678) does not control its did:key.
    assert checks["issuer"]["passed"] is False


def inject_axe(page):
    page.add_script_tag(path=str(ensure_site_js() / "node_modules" / "axe-core" / "axe.min.js"))


def axe_violations(page, selector=None):
    return page.evaluate(
        """async selector => (await axe.run(selector ? document.querySelector(selector) : document,
                                          {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']}))
            .violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""",
        selector,
    )


def test_results_are_accessible_in_light_and_dark(page, site, signed):
    assert open_credential(page, site, "valid")[0] == "verified"
    inject_axe(page)
    assert axe_violations(page) == []
    page.goto(f"{site.url}verify/index.html")
    inject_axe(page)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, state in (
            ("valid", "verified"),
            ("revoked", "revoked"),
            ("expired", "expired"),
            ("tampered", "tampered"),
        ):
            page.fill("#verify-json", json.dumps(signed.documents[name]))
            page.keyboard.press("Tab")  # the button is next in the keyboard order
            page.keyboard.press("Enter")
            page.wait_for_selector(f'.verify-result[data-verify-state="{state}"]', timeout=20_000)
            assert axe_violations(page, "[data-verify-output]") == [], (scheme, name)
        assert axe_violations(page) == [], scheme
