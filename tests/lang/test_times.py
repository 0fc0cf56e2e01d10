"""Kubernetes times: one wire form (`2026-01-31T12:00:00Z`), written and read by every part of the runtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sluicegate.lang import epoch, format_time, parse_time, utc_now


def test_a_time_in_any_zone_is_written_in_utc_to_the_second() -> None:
    at = datetime(2026, 1, 31, 13, 30, 15, 999_000, tzinfo=timezone(timedelta(hours=1, minutes=30)))
    assert format_time(at) == "2026-01-31T12:00:15Z"


def test_a_written_time_reads_back_as_the_same_instant() -> None:
    text = "2026-12-02T15:16:36Z"
    assert parse_time(text) == datetime(2026, 12, 2, 15, 16, 36, tzinfo=UTC)
    assert format_time(parse_time(text)) == text
    assert epoch(text) == parse_time(text).timestamp()


@pytest.mark.parametrize("text", ["2026-12-02T15:16:36", "2026-12-02 15:16:36Z", "2026-12-02T15:16:36.5Z"])
def test_other_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_now_is_in_the_wire_form_and_an_empty_time_means_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = parse_time(utc_now())
    assert before <= now <= datetime.now(UTC)
    assert abs(epoch(None) - datetime.now(UTC).timestamp()) < 60
    assert abs(epoch("") - datetime.now(UTC).timestamp()) < 60
