"""HTTP to the stack's API: base URL, bearer token, JSON in and out, errors through `raise_for_status`.

Called by the sub-APIs of `sluicegate.client` (objects, rollouts, events, status, workflow logs).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sluicegate.client._errors import raise_for_status, unreachable
from sluicegate.errors import SluiceError

if TYPE_CHECKING:
    import httpx

__all__ = ["ApiHttp"]

_TIMEOUT = 30.0


class ApiHttp:
    """One API server (URL + bearer token) reached over HTTP.

    Args:
        url: the API's base URL, `http://127.0.0.1:PORT/`.
        token: the bearer token; empty for a server without auth.
        timeout: seconds per call.
    """

    def __init__(self, url: str, token: str = "", timeout: float = _TIMEOUT) -> None:
        self.url = url.rstrip("/") + "/"
        self.token = token.strip()
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        """One client for every call (callers poll: a new client builds a TLS context, ~55 ms of CPU, each time)."""
        import httpx  # imported by the first call: Hera's calls (most CLI verbs) go through requests

        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header, when there is a token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        not_found_fix: str = "",
    ) -> Any:
        """One call to `path` (relative to the base URL); the decoded JSON answer, or a SluiceError."""
        import httpx

        url = self.url + path.lstrip("/")
        try:
            resp = self._http().request(method, url, json=body, params=params, headers=self.headers)
        except httpx.HTTPError as e:
            raise unreachable(e, where=url) from e
        if resp.status_code >= 400:
            raise_for_status(resp.status_code, _message(resp), where=url, not_found_fix=not_found_fix)
        try:
            return resp.json()
        except ValueError:
            return {}

    def lines(
        self, path: str, params: Mapping[str, str] | None = None, not_found_fix: str = "", follow: bool = False
    ) -> Iterator[str]:
        """The lines of a streamed answer (NDJSON logs), as they arrive; `follow`: no read timeout (quiet steps)."""
        import httpx

        url = self.url + path.lstrip("/")
        timeout = httpx.Timeout(self.timeout, read=None) if follow else httpx.Timeout(self.timeout)
        try:
            with httpx.stream("GET", url, params=params, headers=self.headers, timeout=timeout) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise_for_status(resp.status_code, _message(resp), where=url, not_found_fix=not_found_fix)
                yield from resp.iter_lines()
        except SluiceError:
            raise
        except httpx.HTTPError as e:
            raise unreachable(e, where=url) from e


def _message(resp: httpx.Response) -> str:
    """The server's `message` (Argo's and our error body), or the start of the body."""
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data)[:300]
