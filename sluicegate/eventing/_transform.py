"""A Sensor dependency's programs: its `transform` (jq or Lua, reshaping the data) and its Lua `filters.script`.

Called by the sensor controller for every event that reaches a dependency with a `transform`, before the
dependency's filters, as Argo Events does (`sensors/dependencies/transform.go`): only the event's data is
transformed (the context stays), the data must be a JSON object, and the result must be one too; the
transformed event is what filters see, what an AND condition keeps and what trigger parameters read.

- `jq`: the first output of the program, run by libjq (the `jq` package; Argo uses gojq, the same language).
  No output, a runtime error or a result that is not an object is an error.
- `script`: Lua 5.1 (lupa's embedded Lua 5.1; Argo uses gopher-lua, also 5.1) with the data as the global
  table `event`; the script returns the new event as a table. It runs in a fresh interpreter with only
  `string`, `table`, `math` and the base functions that touch nothing outside it (no `os`, `io`, `require`,
  `load*`, `dofile`, `debug`, `coroutine`), at most `LUA_INSTRUCTIONS` VM instructions and `LUA_MEMORY` bytes.

A failed transform raises TransformError; the controller records it on the Event and uses the event for no
trigger of that dependency (Argo discards it with a log line).

`script_filter` (called by `_filters.filter_event`) runs a `filters.script` in the same sandbox, as Argo
Events' `filterScript` does: the event's data as the global `event`, and the event passes only when the
script's last returned value is the boolean `true`; no data passes, data that is not a JSON object and a
script that fails raise TransformError.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jq
import lupa.lua51 as lua

from sluicegate.errors import SluiceError

__all__ = ["LUA_INSTRUCTIONS", "LUA_MEMORY", "TransformError", "script_filter", "transform_data"]

#: VM instructions a transform script may run before it is stopped.
LUA_INSTRUCTIONS = 10_000_000
#: Bytes of memory a transform script's interpreter may allocate.
LUA_MEMORY = 64 * 1024 * 1024

_FIX = "fix the dependency's `transform` (docs/compatibility.md, Sensor transform)"
_FILTER_FIX = "fix the dependency's `filters.script`: it passes the event by returning true"

# Runs inside the fresh interpreter: compiles the script, gives it a sandbox of its own and an instruction
# budget (once spent, every further instruction raises, so a pcall in the script cannot swallow the stop).
_SANDBOX = """
local source, event, limit = ...
local fn, err = loadstring(source, "=script")
if not fn then error(err, 0) end
local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end
local env = {
  string = copy(string), table = copy(table), math = copy(math),
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  select = select, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack, xpcall = xpcall,
  rawequal = rawequal, rawget = rawget, rawset = rawset, getmetatable = getmetatable,
  setmetatable = setmetatable, _VERSION = _VERSION, event = event,
}
env._G = env
setfenv(fn, env)
local sethook = debug.sethook
local function stop()
  sethook(stop, "", 1)
  error("the script ran more than " .. limit .. " Lua instructions", 0)
end
sethook(stop, "", limit)
local function pack(...) return {n = select("#", ...), ...} end
local r = pack(pcall(fn))
sethook()
if not r[1] then error(r[2], 0) end
return r.n - 1, r[r.n]
"""


class TransformError(SluiceError):
    """A dependency's transform or script filter failed or is malformed; the event is not used by it."""

    http_status = 400


def transform_data(transform: dict[str, Any], data: Any, where: str = "transform") -> Any:
    """The event data after the dependency's `transform` (`jq` or `script`); `data` itself when it is None.

    Raises:
        TransformError: the transform is malformed, fails, or its input or result is not a JSON object.
    """
    unknown = sorted(set(transform) - {"jq", "script"})
    if unknown:
        raise TransformError(f"unknown field(s) {unknown}", where=where, fix="use `jq` or `script`")
    program, script = transform.get("jq") or "", transform.get("script") or ""
    if not isinstance(program, str) or not isinstance(script, str):
        raise TransformError("`jq` and `script` are strings", where=where, fix=_FIX)
    if program and script:
        raise TransformError("both `jq` and `script` are set", where=where, fix="keep one of them")
    if not (program or script) or data is None:
        return data
    kind = "jq" if program else "script"
    if not isinstance(data, dict):
        raise TransformError(
            f"the event's data is {_a(_json_type(data))}, a transform needs a JSON object", where=f"{where}.{kind}"
        )
    if program:
        return _run_jq(program, data, f"{where}.jq")
    return _run_lua(script, data, f"{where}.script")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "null"


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


@functools.lru_cache(maxsize=64)
def _compile(program: str) -> Any:
    """A compiled jq program (compiling takes ~10 ms, running one a fraction of that; libjq's states are pooled)."""
    return jq.compile(program)


def _run_jq(program: str, data: dict[str, Any], where: str) -> Any:
    try:
        compiled = _compile(program)
    except ValueError as e:
        raise TransformError(f"invalid jq program {program!r}: {_one_line(e)}", where=where, fix=_FIX) from e
    try:
        outputs = iter(compiled.input_value(data))
        result = next(outputs)
    except StopIteration:
        raise TransformError("no output available from the jq command execution", where=where, fix=_FIX) from None
    except ValueError as e:
        raise TransformError(f"jq error: {_one_line(e)}", where=where, fix=_FIX) from e
    if not isinstance(result, dict):
        raise TransformError(
            f"jq transformation output must be a JSON object, got {_a(_json_type(result))}", where=where, fix=_FIX
        )
    return result


def _one_line(e: BaseException) -> str:
    text = str(e).split("\nstack traceback:", 1)[0]  # lupa appends the host chunk's traceback
    return " ".join(text.split())[:500] or "an error without a message"


def _execute(script: str, data: dict[str, Any], where: str, fix: str) -> tuple[int, Any, Any]:
    """Run `script` in a fresh sandboxed interpreter: how many values it returned, the last one, the runtime."""
    runtime = lua.LuaRuntime(
        unpack_returned_tuples=True, register_eval=False, register_builtins=False, max_memory=LUA_MEMORY
    )
    try:
        count, result = runtime.execute(_SANDBOX, script, _to_lua(runtime, data), LUA_INSTRUCTIONS)
    except lua.LuaMemoryError as e:
        raise TransformError(f"the script used more than {LUA_MEMORY} bytes", where=where, fix=fix) from e
    except (lua.LuaError, lua.LuaSyntaxError) as e:
        raise TransformError(f"script error: {_one_line(e)}", where=where, fix=fix) from e
    return int(count or 0), result, runtime


def script_filter(script: str, data: Any, where: str = "filters.script") -> bool:
    """Whether the event data passes a dependency's `filters.script` (see the module docstring).

    Raises:
        TransformError: the data is not a JSON object, or the script fails.
    """
    if not script or data is None:
        return True
    if not isinstance(data, dict):
        raise TransformError(
            f"the event's data is {_a(_json_type(data))}, a script filter needs a JSON object", where=where
        )
    count, result, _ = _execute(script, data, where, _FILTER_FIX)
    return count > 0 and result is True


def _run_lua(script: str, data: dict[str, Any], where: str) -> Any:
    count, result, runtime = _execute(script, data, where, _FIX)
    maxn = runtime.eval("table.maxn")
    getmetatable = runtime.eval("getmetatable")
    if not count or lua.lua_type(result) != "table":
        got = "nothing" if not count else "nil" if result is None else lua.lua_type(result) or _json_type(result)
        raise TransformError(
            f"transformation script output type is not of lua table (it returned {got})",
            where=where,
            fix="end the script with `return event` (or another table)",
        )
    try:
        value = _from_lua(result, maxn, getmetatable, where)
    except UnicodeDecodeError as e:
        raise TransformError("the script's result holds a string that is not UTF-8", where=where, fix=_FIX) from e
    if not isinstance(value, dict):
        raise TransformError(
            "script transformation output must be a JSON object, got an array",
            where=where,
            fix="return a table with string keys",
        )
    return value


def _to_lua(runtime: Any, value: Any) -> Any:
    """A JSON value as Lua sees it; nulls are left out of tables, as Argo's mapToTable does."""
    if isinstance(value, dict):
        table = runtime.table()
        for k, v in value.items():
            if v is not None:
                table[str(k)] = _to_lua(runtime, v)
        return table
    if isinstance(value, list):
        return runtime.table(*[_to_lua(runtime, v) for v in value if v is not None])
    return value


def _from_lua(value: Any, maxn: Any, getmetatable: Any, where: str, depth: int = 0) -> Any:
    """A Lua value as JSON, as Argo's toGoValue reads it: a table with a positive `maxn` is an array."""
    if depth > 100:
        raise TransformError("the script's result nests deeper than 100 levels", where=where, fix=_FIX)
    kind = lua.lua_type(value)
    if kind == "table":
        n = int(maxn(value))
        meta = getmetatable(value)
        if n > 0 or (meta is not None and lua.lua_type(meta) == "table" and meta["__is_array"] is True):
            return [_from_lua(value[i], maxn, getmetatable, where, depth + 1) for i in range(1, n + 1)]
        return {_key(k): _from_lua(v, maxn, getmetatable, where, depth + 1) for k, v in value.items()}
    if kind is not None:
        raise TransformError(f"the script's result holds a Lua {kind}, not JSON", where=where, fix=_FIX)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # Lua 5.1 numbers are doubles; Go's encoding/json writes 3.0 as 3
    if isinstance(value, float) and not math.isfinite(value):
        raise TransformError(f"the script's result holds {value}, which JSON cannot hold", where=where, fix=_FIX)
    return value


def _key(key: Any) -> str:
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
