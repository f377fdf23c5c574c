from __future__ import annotations

import gc

import pytest

from badgeflow.pipeline._gc import gc_frozen


def test_objects_alive_before_are_frozen_inside_and_given_back_after():
    before = [object() for _ in range(10)]
    assert gc.get_freeze_count() == 0
    with gc_frozen():
        assert gc.get_freeze_count() >= len(before)
    assert gc.get_freeze_count() == 0


def test_an_error_inside_still_unfreezes():
    with pytest.raises(RuntimeError, match="boom"), gc_frozen():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
