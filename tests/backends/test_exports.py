import inspect

import sluicegate.backends as backends


def test_backends_all_is_sorted_and_complete():
    public = {
        name
        for name, obj in vars(backends).items()
        if not name.startswith("_") and not inspect.ismodule(obj) and name != "annotations"
    }

    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert backends.__all__ == sorted(backends.__all__, key=kind)
    assert set(backends.__all__) == public
