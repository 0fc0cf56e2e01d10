"""MLflow webhook signatures: `X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret, "{id}.{ts}.{body}")>`.

Called by the relay's webhook endpoint (verify) and by tests and benchmarks (sign).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["SignatureError", "sign", "verify"]


class SignatureError(ValueError):
    """The delivery is unsigned, wrongly signed, or outside the timestamp window."""


def sign(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The `X-MLflow-Signature` value for a delivery."""
    content = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str, delivery_id: str, timestamp: str, body: bytes, signature: str, now: float, window: float
) -> None:
    """Raise SignatureError unless the signature matches and the timestamp is within `window` seconds of `now`."""
    if not delivery_id or not timestamp or not signature:
        raise SignatureError("missing X-MLflow-Delivery-Id, X-MLflow-Timestamp or X-MLflow-Signature")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError(f"X-MLflow-Timestamp {timestamp!r} is not unix seconds") from None
    if abs(now - ts) > window:
        raise SignatureError(f"timestamp {ts} is more than {window:.0f}s away from now ({now:.0f})")
    want = sign(secret, delivery_id, timestamp, body)
    if not any(hmac.compare_digest(want, s.strip()) for s in signature.split(" ") if s.strip()):
        raise SignatureError("X-MLflow-Signature does not match")
