import inspect

import sluicegate.client as client


def test_client_all_is_sorted_and_complete():
    public = {
        name
        for name, obj in vars(client).items()
        if not name.startswith("_") and not inspect.ismodule(obj) and name != "annotations"
    }

    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert client.__all__ == sorted(client.__all__, key=kind)
    assert set(client.__all__) == public
