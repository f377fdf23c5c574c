"""The sink benchmark runs at toy size: every message reaches the sink (no figure asserted)."""

from __future__ import annotations

import pytest

from bench import sink_bench


@pytest.mark.parametrize("kind", ["lean", "block"])
def test_every_message_reaches_the_sink_and_its_cpu_is_read(kind):
    figures = sink_bench.run(kind, 20)  # raises SystemExit unless all 70 messages arrived
    assert figures["n"] == 20 and figures["sink"] == kind
    assert isinstance(figures["cpu_ms_per_message"], float) and figures["pipelined"] is True
