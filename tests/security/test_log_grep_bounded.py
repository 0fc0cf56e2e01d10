"""The log `grep` parameter cannot make the API spend exponential time: such patterns are a 400."""

from __future__ import annotations

import pytest

from sluicegate.api._logs import grep_pattern
from sluicegate.errors import ManifestError


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|a*)*$", "(x+x+)+y", r"(a)\1", "(.*a){20,}", "a" * 300])
def test_exponential_or_huge_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ManifestError) as e:
        grep_pattern(pattern)
    assert e.value.http_status == 400 and "grep" in str(e.value)


@pytest.mark.parametrize(
    ("pattern", "line"),
    [("error", "an error"), ("a.*b", "a-b"), (r"\d+ ms", "took 12 ms"), ("(foo|bar)", "bar"), ("(ab)+", "abab")],
)
def test_ordinary_patterns_still_work_as_regular_expressions(pattern: str, line: str) -> None:
    assert grep_pattern(pattern).search(line)
