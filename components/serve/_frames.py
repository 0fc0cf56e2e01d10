"""Checking a request against the model's signature ourselves, so requests can be scored together.

Called by `components.serve._model` for every JSON request to a generic pyfunc (the path a user's own
model takes). MLflow's scoring server parses each request into a DataFrame and enforces the signature on it
(milliseconds per call). Here a `dataframe_split` or `dataframe_records` body is checked value by value
against the signature's column names and types, and kept as plain rows in the signature's column order;
rows of many requests are then parsed and enforced by MLflow once, as one DataFrame (`frame`), and scored
in one `predict` call (`components.serve._batch`).

The stacked DataFrame is built here (`own_frame`, column by column) rather than by MLflow's parser and
schema enforcement (several milliseconds per call) only for a request key whose first stacked frame was
compared with what MLflow hands the model (`enforced`) and found identical, dtypes included (`same_frame`).

Only bodies whose parsed DataFrame is certain to be the same alone or stacked with others take this path:
every signature column present (no extra ones), scalar values of exactly the signature's JSON type, and
one key per request that says which Python types each column holds (requests are stacked only with
requests of the same key, so pandas infers the same dtypes). Anything else (`inputs`, `instances`, CSV,
`params`, nulls, optional columns, tensors) returns None and goes through MLflow's own parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ColumnSignature",
    "Rows",
    "column_signature",
    "enforced",
    "frame",
    "own_frame",
    "rows_of",
    "same_frame",
    "unchecked",
]

#: Python types a JSON value may have for each MLflow column type, for it to parse the same way stacked.
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "double": (float, int),
    "float": (float, int),
    "long": (int,),
    "integer": (int,),
    "string": (str,),
    "boolean": (bool,),
}
_INT_LIMIT = 2**53  # beyond this pandas may choose another dtype for a column of ints
#: Column types whose values `own_frame` casts without loss (no float32/int32 narrowing, which MLflow checks).
_OWN_TYPES = {"double": "float64", "long": "int64", "string": "", "boolean": ""}


@dataclass(frozen=True)
class ColumnSignature:
    """The model's input columns (names in signature order, MLflow type names) and the schema object."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    schema: Any


@dataclass
class Rows:
    """One request's rows in signature column order, and the key of requests it can be stacked with."""

    rows: list[list[Any]]
    key: tuple[Any, ...]


def column_signature(metadata: Any) -> ColumnSignature | None:
    """The column signature of a pyfunc model, or None when its requests must go through MLflow per call."""
    if metadata is None or metadata.get_params_schema() is not None:
        return None
    if getattr(metadata, "_is_signature_from_type_hint", lambda: False)():
        return None
    schema = metadata.get_input_schema()
    if schema is None or not schema.has_input_names() or schema.is_tensor_spec():
        return None
    names, types = [], []
    for spec in schema.inputs:
        kind = getattr(getattr(spec, "type", None), "name", None)
        if kind not in _ACCEPTS or not getattr(spec, "required", True):
            return None
        names.append(str(spec.name))
        types.append(str(kind))
    if len(set(names)) != len(names):
        return None
    return ColumnSignature(tuple(names), tuple(types), schema)


def rows_of(doc: dict[str, Any], sig: ColumnSignature) -> Rows | None:
    """The rows of a `dataframe_split`/`dataframe_records` body that fits `sig` exactly, else None."""
    if "params" in doc or len(doc) != 1:
        return None
    if "dataframe_split" in doc:
        value = doc["dataframe_split"]
        if not isinstance(value, dict) or set(value) != {"columns", "data"}:
            return None
        cols, data = value["columns"], value["data"]
        if not isinstance(cols, list) or not isinstance(data, list) or not data:
            return None
        if len(cols) != len(sig.names) or set(cols) != set(sig.names) or len(set(cols)) != len(cols):
            return None
        where = [cols.index(n) for n in sig.names]
        width = len(cols)
        rows = []
        for row in data:
            if not isinstance(row, list) or len(row) != width:
                return None
            rows.append([row[i] for i in where])
    elif "dataframe_records" in doc:
        records = doc["dataframe_records"]
        if not isinstance(records, list) or not records:
            return None
        names = set(sig.names)
        rows = []
        for rec in records:
            if not isinstance(rec, dict) or rec.keys() != names:
                return None
            rows.append([rec[n] for n in sig.names])
    else:
        return None
    key = _key(rows, sig)
    return None if key is None else Rows(rows, key)


def _key(rows: list[list[Any]], sig: ColumnSignature) -> tuple[Any, ...] | None:
    seen: list[set[type]] = [set() for _ in sig.names]
    for row in rows:
        for j, x in enumerate(row):
            t = type(x)
            if t not in _ACCEPTS[sig.types[j]]:
                return None
            if t is int and not -_INT_LIMIT < x < _INT_LIMIT:
                return None
            seen[j].add(t)
    return tuple(tuple(sorted(t.__name__ for t in s)) for s in seen)


def frame(rows: list[list[Any]], sig: ColumnSignature) -> Any:
    """The DataFrame MLflow's scoring server parses from these rows (its own parser and type casts)."""
    from mlflow.utils.proto_json_utils import dataframe_from_parsed_json

    return dataframe_from_parsed_json({"columns": list(sig.names), "data": rows}, "split", sig.schema)


def own_frame(rows: list[list[Any]], sig: ColumnSignature) -> Any:
    """The DataFrame of `rows` built column by column, cast to the signature's dtypes (None: types it leaves).

    Returns None when a column's type could be narrowed by MLflow (float, integer), so only MLflow decides.
    """
    import numpy as np
    import pandas as pd

    if any(t not in _OWN_TYPES for t in sig.types):
        return None
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in sig.names]
    data: dict[str, Any] = {}
    for name, kind, values in zip(sig.names, sig.types, columns, strict=True):
        dtype = _OWN_TYPES[kind]
        data[name] = np.array(values, dtype=dtype) if dtype else list(values)
    return pd.DataFrame(data)


def enforced(pyfunc: Any, data: Any) -> Any:
    """What MLflow's `PyFuncModel.predict` hands the model for `data` after enforcing the signature."""
    from mlflow.pyfunc import _validate_prediction_input

    meta = pyfunc.metadata
    checked, _ = _validate_prediction_input(
        data, None, meta.get_input_schema(), meta.get_params_schema(), getattr(pyfunc, "loader_module", None)
    )
    return checked


def same_frame(a: Any, b: Any) -> bool:
    """Whether two DataFrames are identical: columns, index, dtypes and every value."""
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def unchecked(pyfunc: Any) -> Any:
    """The same loaded model, whose `predict` skips MLflow's schema enforcement (None when unsafe to skip).

    Used only on `own_frame` DataFrames proven equal to MLflow's enforced ones. Models whose signature comes
    from type hints convert their input in `predict` itself and keep MLflow's path.
    """
    import copy

    meta = pyfunc.metadata
    try:
        if meta._is_signature_from_type_hint() or meta._is_type_hint_from_example():
            return None
    except AttributeError:  # an MLflow without these checks: keep its own path
        return None
    twin_meta = copy.copy(meta)
    twin_meta.signature = None
    twin = copy.copy(pyfunc)
    twin._model_meta = twin_meta
    return twin if twin.metadata.get_input_schema() is None else None
