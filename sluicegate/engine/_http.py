"""HTTP templates: one request from the controller, as Argo's agent makes it.

Called by `_executor` in a worker thread. `successCondition` is an expr-lang expression over
`response.statusCode`, `response.body` and `response.headers`; without one, any 2xx status succeeds.
The response body becomes `outputs.result`.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from sluicegate.engine._jobs import Job, Result
from sluicegate.lang import ExprError, evaluate_bool

__all__ = ["run_http"]


def _header_value(header: dict[str, Any], secrets: Callable[[str, str], str] | None) -> str:
    if "value" in header:
        return str(header["value"])
    ref = (header.get("valueFrom") or {}).get("secretKeyRef")
    if ref and secrets is not None:
        return secrets(str(ref["name"]), str(ref["key"]))
    return ""


def run_http(job: Job, secrets: Callable[[str, str], str] | None = None) -> Result:
    """Make the request and judge the response."""
    spec = job.template.get("http") or {}
    headers = {str(h["name"]): _header_value(h, secrets) for h in spec.get("headers") or []}
    body = spec.get("body")
    request = urllib.request.Request(
        str(spec.get("url", "")),
        data=None if body in (None, "") else str(body).encode(),
        headers=headers,
        method=str(spec.get("method") or "GET"),
    )
    context = ssl._create_unverified_context() if spec.get("insecureSkipVerify") else None
    timeout = float(spec.get("timeoutSeconds") or 30)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            code, text, got = resp.status, resp.read().decode(errors="replace"), dict(resp.headers.items())
    except urllib.error.HTTPError as e:
        code, text, got = e.code, e.read().decode(errors="replace"), dict(e.headers.items())
    except (OSError, ValueError) as e:
        return Result(job.key, "Failed", f"http request to {spec.get('url')!r} failed: {e}")
    outputs = {"result": text}
    condition = spec.get("successCondition")
    if condition:
        env = {"response": {"statusCode": code, "body": text, "headers": {k: [v] for k, v in got.items()}}}
        try:
            ok = evaluate_bool(str(condition), env)
        except ExprError as e:
            return Result(job.key, "Error", f"successCondition: {e}", outputs)
        if not ok:
            return Result(job.key, "Failed", f"successCondition '{condition}' evaluated false (status {code})", outputs)
    elif not 200 <= code < 300:
        return Result(job.key, "Failed", f"received non-2xx response code: {code}", outputs)
    return Result(job.key, "Succeeded", "", outputs)
