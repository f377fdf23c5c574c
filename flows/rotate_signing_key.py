"""The rotate-signing-key flow: a new current signing key, published in did.json right away."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from tasks import admin, site
from tasks.alerts import alert_ops


@flow(name="rotate-signing-key", log_prints=False, on_failure=[alert_ops], on_crashed=[alert_ops])
def rotate_signing_key(new_issuer: bool = False, publish: bool = True) -> dict[str, object]:
    """Rotate the issuer's Ed25519 signing key; the retired key stays in did.json.

    Args:
        new_issuer: did:key only: rotate even though revocation status lists are in use (the
            issuer id changes with the key).
        publish: re-publish the site now so did.json lists the new key before the next batch
            signs with it (off: run rebuild-site before the next nightly run).
    """
    logger = get_run_logger()
    now = datetime.now(UTC).replace(microsecond=0)
    rotation = admin.rotate(now, new_issuer)
    markdown = rotation.markdown()
    if publish:
        report = site.publish(now)
        markdown += f"- site re-published to `{report.output_dir}`: did.json lists every key\n"
    else:
        markdown += "- site NOT re-published: run rebuild-site before the next nightly run\n"
    create_markdown_artifact(
        key="rotate-signing-key", markdown=markdown, description="Key rotation"
    )
    logger.info("rotated %s -> %s", rotation.previous, rotation.new)
    return {
        "previous": rotation.previous,
        "current": rotation.new,
        "verification_method": rotation.verification_method,
        "issuer": rotation.issuer_did,
        "site_published": publish,
    }
