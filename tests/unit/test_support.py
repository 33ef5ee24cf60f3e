"""The suite's own rule for missing tools: CI fails instead of skipping; elsewhere the skip says what is missing."""

from __future__ import annotations

import pytest

from tests.support import missing_prerequisite


def test_a_missing_tool_fails_ci_and_skips_loudly_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every test"):
        missing_prerequisite("a tool")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="SKIPPED for lack of a tool"):
        missing_prerequisite("a tool")
