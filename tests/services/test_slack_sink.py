from pathlib import Path

import httpx
import pytest

from sluicegate.config import Settings
from sluicegate.part import StackContext
from sluicegate.secrets import SecretStore
from sluicegate.services import SlackSinkPart, read_messages
from sluicegate.store import Store


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SLUICE_SLACK_API_URL", raising=False)
    ctx = StackContext(Settings(home=tmp_path), Store(tmp_path / "s.db"), SecretStore(tmp_path), "t")
    part = SlackSinkPart()
    entries = part.start(ctx)
    yield entries["slack"], tmp_path
    part.stop()


def test_sink_records_post_message_like_slack(sink) -> None:
    url, home = sink
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*promoted*"}}]
    r = httpx.post(
        f"{url}/chat.postMessage",
        json={"channel": "ml-deploys", "text": "v2 promoted", "blocks": blocks},
        headers={"Authorization": "Bearer xoxb-secret"},
    )
    assert r.json()["ok"] is True and r.json()["channel"] == "ml-deploys"
    [msg] = read_messages(home)
    assert msg["text"] == "v2 promoted" and msg["blocks"] == blocks
    assert "xoxb-secret" not in str(msg)


def test_sink_refuses_missing_token_and_channel_as_slack_does(sink) -> None:
    url, home = sink
    assert httpx.post(f"{url}/chat.postMessage", json={"channel": "c"}).json()["error"] == "not_authed"
    no_channel = httpx.post(f"{url}/chat.postMessage", json={"text": "x"}, headers={"Authorization": "Bearer t"})
    assert no_channel.json()["error"] == "channel_not_found"
    assert read_messages(home) == []


def test_sink_points_slack_triggers_at_itself(sink) -> None:
    import os

    url, _ = sink
    assert os.environ["SLUICE_SLACK_API_URL"] == url
