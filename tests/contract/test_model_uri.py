from __future__ import annotations

import pytest

from contract import ModelUri


@pytest.mark.parametrize(
    ("uri", "name", "version", "alias"),
    [
        ("models:/breast-cancer/3", "breast-cancer", "3", ""),
        ("models:/breast-cancer@champion", "breast-cancer", "", "champion"),
        ("models:/breast-cancer", "breast-cancer", "", ""),
        ("models:/m/latest", "m", "latest", ""),
    ],
)
def test_a_models_uri_is_parsed_into_name_version_and_alias(uri: str, name: str, version: str, alias: str) -> None:
    parsed = ModelUri.parse(uri)
    assert parsed == ModelUri(name, version, alias)
    assert str(parsed) == uri


@pytest.mark.parametrize("uri", ["runs:/abc/model", "/tmp/model", "", "file:///m", "Models:/m/1"])
def test_other_uris_are_not_model_uris(uri: str) -> None:
    assert ModelUri.parse(uri) is None


def test_only_a_number_names_a_version_by_number() -> None:
    numbered = {
        uri: getattr(ModelUri.parse(uri), "numbered", None)
        for uri in ("models:/m/12", "models:/m/latest", "models:/m@c")
    }
    assert numbered == {"models:/m/12": True, "models:/m/latest": False, "models:/m@c": False}
