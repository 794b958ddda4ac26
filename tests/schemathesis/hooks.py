"""Schemathesis hooks for SimplePG (loaded by scripts/schemathesis via SCHEMATHESIS_HOOKS).

Every request leaves with valid credentials, computed over the exact bytes sent, so the run
reaches the business logic instead of stopping at 401:

- merchant requests (/api/payments...) are signed per api.md section 2: X-Client-Id,
  X-Timestamp (Unix milliseconds), a fresh X-Nonce and X-Signature = Base64(HMAC-SHA256(client
  secret, canonical string));
- acquirer webhooks and mock-acquirer requests (/api/webhook/payment, /mock/request...) are
  signed the Standard Webhooks way with the acquirer secret (api.md section 4);
- admin requests (/admin/api/...) get `Authorization: Bearer <admin token>`.

Signing happens in a `requests` auth object, which sees the final prepared request (method,
path, query and body bytes), so the signature covers exactly what goes on the wire.

Any `returnUrl` in a generated body is pointed at this machine: the server delivers webhooks
and notifications to it, and generated URLs must never send traffic elsewhere.

Configuration comes from the environment (set by scripts/schemathesis):
SIMPLEPG_CLIENT_ID, SIMPLEPG_CLIENT_SECRET, SIMPLEPG_ADMIN_TOKEN, SIMPLEPG_ACQUIRER_SECRET,
SIMPLEPG_LOCAL_SINK (a loopback URL for generated return URLs).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from urllib.parse import urlsplit

import requests
import schemathesis


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} must be set (see scripts/schemathesis)")
    return value


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def canonical_string(method, path, query, timestamp, nonce, body):
    """The six lines of api.md section 2, joined by newlines, no trailing newline."""
    return "\n".join(
        [method.upper(), path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    )


class MerchantSignature(requests.auth.AuthBase):
    """Signs a prepared request as the merchant (api.md section 2)."""

    def __init__(self, client_id, client_secret):
        self.client_id = client_id
        self.client_secret = client_secret.encode("utf-8")

    def __call__(self, request):
        url = urlsplit(request.url)
        timestamp = str(int(time.time() * 1000))
        nonce = secrets.token_urlsafe(24)
        message = canonical_string(
            request.method, url.path, url.query, timestamp, nonce, _body_bytes(request.body)
        )
        digest = hmac.new(self.client_secret, message.encode("utf-8"), hashlib.sha256).digest()
        request.headers["X-Client-Id"] = self.client_id
        request.headers["X-Timestamp"] = timestamp
        request.headers["X-Nonce"] = nonce
        request.headers["X-Signature"] = base64.b64encode(digest).decode("ascii")
        return request


class StandardWebhookSignature(requests.auth.AuthBase):
    """Signs a prepared request the Standard Webhooks way (api.md section 4)."""

    def __init__(self, secret):
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    def __call__(self, request):
        msg_id = f"msg_{uuid.uuid4().hex}"
        timestamp = str(int(time.time()))
        signed = f"{msg_id}.{timestamp}.".encode("utf-8") + _body_bytes(request.body)
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        request.headers["webhook-id"] = msg_id
        request.headers["webhook-timestamp"] = timestamp
        request.headers["webhook-signature"] = "v1," + base64.b64encode(digest).decode("ascii")
        return request


class AdminToken(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _keep_return_urls_local(value, sink):
    """Replaces every `returnUrl` (also inside a JSON string) with the local sink."""
    if isinstance(value, dict):
        return {
            k: sink if k == "returnUrl" else _keep_return_urls_local(v, sink)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_keep_return_urls_local(v, sink) for v in value]
    if isinstance(value, str) and "returnUrl" in value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value.replace("returnUrl", "return_url")
        return json.dumps(_keep_return_urls_local(parsed, sink))
    return value


def _auth_for(path):
    if path.startswith("/api/payments"):
        return MerchantSignature(_env("SIMPLEPG_CLIENT_ID"), _env("SIMPLEPG_CLIENT_SECRET"))
    if path.startswith("/api/webhook/") or path.startswith("/mock/"):
        return StandardWebhookSignature(_env("SIMPLEPG_ACQUIRER_SECRET"))
    if path.startswith("/admin/"):
        return AdminToken(_env("SIMPLEPG_ADMIN_TOKEN"))
    return None


# Admin operations that would lock the run's own merchant out (a new secret, or INACTIVE): aimed
# at the run's merchant they are redirected to an unknown client id (404, as documented).
_LOCKOUTS = ("/rotate-secret", "/deactivate")


def _spare_own_merchant(case):
    params = case.path_parameters or {}
    if params.get("clientId") == _env("SIMPLEPG_CLIENT_ID") and case.operation.path.endswith(
        _LOCKOUTS
    ):
        params["clientId"] = "mch_not_the_run_merchant"


_VALID_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,200}$")


def _fresh_idempotency_key(case):
    """Generated keys repeat (`0`, `AAA`) across different bodies, so nearly every request would be
    a correct 422 IDEMPOTENCY_KEY_REUSED and never reach the payment logic. A valid key gets a
    unique suffix (still valid); malformed ones stay as generated, to be refused with 400."""
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str):
            if _VALID_IDEMPOTENCY_KEY.match(value):
                headers[name] = f"{value}-{uuid.uuid4().hex}"


@schemathesis.hook
def before_call(context, case, kwargs):
    _spare_own_merchant(case)
    _fresh_idempotency_key(case)
    if isinstance(case.body, (dict, list, str)):
        case.body = _keep_return_urls_local(case.body, _env("SIMPLEPG_LOCAL_SINK"))
    auth = _auth_for(case.operation.path)
    if auth is not None:
        kwargs["auth"] = auth



_CANCEL_PATH = "/api/payments/{paymentKey}/cancel"
_ADMIN_CANCEL_PATH = "/admin/api/payments/{paymentKey}/cancel"


@schemathesis.check
def only_documented_acquirer_refusal(ctx, response, case):
    """Replaces `not_a_server_error` on the cancel operations, the merchant's and an
    operator's on its behalf (see schemathesis.toml).

    api.md section 3.5: when the acquirer refuses or fails a synchronous cancel, the answer is
    `502 ACQUIRER_ERROR` and the payment is unchanged. The mock acquirer refuses the cancel of
    amounts ending in 007 (docs/api.md), so a generated cancel can legitimately get that 502.
    Any other 5xx, or a 502 that is not that problem document, is still a server error.
    """
    if case.operation.path not in (_CANCEL_PATH, _ADMIN_CANCEL_PATH) or response.status_code < 500:
        return
    if response.status_code == 502:
        try:
            problem = json.loads(response.content)
        except ValueError:
            problem = None
        if isinstance(problem, dict) and problem.get("code") == "ACQUIRER_ERROR":
            return
    raise AssertionError(
        f"server error {response.status_code} on cancel that is not the documented "
        f"502 ACQUIRER_ERROR: {response.content[:300]!r}"
    )
