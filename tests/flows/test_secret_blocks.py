"""Secret settings naming Prefect Secret blocks are resolved on the Prefect side."""

from __future__ import annotations

import pytest

from badgeflow.errors import ConfigurationError
from badgeflow.pipeline import runtime_for
from badgeflow.settings import Settings

pytestmark = pytest.mark.slow


def moodle_settings(token: str, var_dir) -> Settings:
    source = {"kind": "moodle", "name": "m", "base_url": "https://moodle.example.edu"}
    return Settings(var_dir=var_dir, sources=[{**source, "token": token}])


def test_flows_read_secret_blocks_and_the_core_refuses_unresolved_ones(prefect_harness, tmp_path):
    from prefect.blocks.system import Secret

    from tasks._settings import resolve_settings

    Secret(value="tok-from-block").save("badgeflow-test-moodle-token", overwrite=True)
    settings = moodle_settings("prefect-secret:badgeflow-test-moodle-token", tmp_path)

    resolved = resolve_settings(settings)

    assert resolved.sources[0].token.get_secret_value() == "tok-from-block"
    with pytest.raises(ConfigurationError, match=r"sources\[0\]\.token \('badgeflow-test-moodle"):
        runtime_for(settings)
    with pytest.raises(ConfigurationError, match="cannot read secret block 'no-such-block'"):
        resolve_settings(moodle_settings("prefect-secret:no-such-block", tmp_path))
