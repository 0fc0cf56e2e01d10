"""Fixtures shared by the whole session: the sklearn model is saved once and its server started once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # modelkit, shared with tests/rollouts

from modelkit import Server, save_sklearn


@pytest.fixture(scope="session")
def sklearn_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local MLflow model directory: scaled logistic regression on breast_cancer, with a signature."""
    return save_sklearn(tmp_path_factory.mktemp("serve") / "model")


@pytest.fixture(scope="session")
def server(sklearn_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(str(sklearn_model_dir), tmp_path_factory.mktemp("serve-log") / "serve.log") as s:
        yield s
