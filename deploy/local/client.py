"""A small HTTP client of the shop as its users reach it, through the gateway: sign-in at the identity service
(the SPA's authorization code flow with PKCE, or the password grant scripts use), CSRF tokens, cart, checkout,
orders, admin analytics. The smoke test and the fault suite drive the cluster with it; stdlib only."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field

CLIENT_ID = "ui-client"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self):
        return json.loads(self.text) if self.text else None

    @property
    def served_by(self) -> str | None:
        return self.headers.get("x-served-by")


class Http:
    """One keep-alive connection to 127.0.0.1:port, reopened after any connection error, and before a request when
    it sat idle long enough for the gateway to have closed it (as browsers and HTTP client pools do)."""

    IDLE = 20.0  # seconds; the gateway closes idle client connections after 60

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        self._used = 0.0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        if self._connection is not None and time.monotonic() - self._used > self.IDLE:
            self.close()
        self._used = time.monotonic()
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self._connection.request(method, path, body=body, headers=headers or {})
            raw = self._connection.getresponse()
            text = raw.read().decode()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def password_grant(port: int, username: str, password: str) -> str:
    """An access token by the password grant (what scripts and tests use)."""
    response = Http(port).request("POST", "/auth/token", _form({
        "grant_type": "password", "client_id": CLIENT_ID, "username": username, "password": password,
    }), {"content-type": "application/x-www-form-urlencoded"})
    if response.status != 200:
        raise RuntimeError(f"sign-in of {username}: {response.status} {response.text[:200]}")
    return response.json["access_token"]


def code_flow(port: int, username: str, password: str) -> str:
    """An access token the way the SPA gets one: authorization code with PKCE S256 through the login form."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = f"http://127.0.0.1:{port}/callback"
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect, "scope": "openid",
              "code_challenge": challenge, "code_challenge_method": "S256", "state": secrets.token_hex(8)}
    http_ = Http(port)
    page = http_.request("GET", "/auth/authorize?" + urllib.parse.urlencode(params))
    if page.status != 200 or 'name="password"' not in page.text:
        raise RuntimeError(f"login page: {page.status}")
    submitted = http_.request("POST", "/auth/authorize", _form({**params, "username": username, "password": password}),
                              {"content-type": "application/x-www-form-urlencoded"})
    location = submitted.headers.get("location", "")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if submitted.status not in (302, 303) or "code" not in query or query.get("state") != [params["state"]]:
        raise RuntimeError(f"login: {submitted.status} {location or submitted.text[:200]}")
    token = http_.request("POST", "/auth/token", _form({
        "grant_type": "authorization_code", "client_id": CLIENT_ID, "code": query["code"][0],
        "redirect_uri": redirect, "code_verifier": verifier,
    }), {"content-type": "application/x-www-form-urlencoded"})
    if token.status != 200:
        raise RuntimeError(f"token: {token.status} {token.text[:200]}")
    return token.json["access_token"]


@dataclass
class Shopper:
    """A signed-in user of the shop, through the gateway."""

    port: int
    token: str
    http: Http = field(init=False)
    csrf: str | None = None

    def __post_init__(self) -> None:
        self.http = Http(self.port)

    def call(self, method: str, path: str, body=None, headers: dict[str, str] | None = None) -> Response:
        """One request. A write carries a CSRF token, which it spends: the answer hands out the next one
        (`X-CSRF-Token`), and a refusal for a stale token carries a fresh one, with which the write is sent once
        more."""
        all_headers = {"authorization": f"Bearer {self.token}", "accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["content-type"] = "application/json"
        if method == "GET":
            return self.http.request(method, path, data, all_headers)
        for attempt in range(2):
            if self.csrf is None:
                self.refresh_csrf()
            all_headers["x-csrf-token"] = self.csrf
            response = self.http.request(method, path, data, all_headers)
            self.csrf = response.headers.get("x-csrf-token")
            fresh = response.json.get("token") if response.status == 403 and response.text else None
            if fresh and attempt == 0:
                self.csrf = fresh
                continue
            return response
        return response

    def refresh_csrf(self) -> None:
        response = self.http.request("GET", "/csrf/token", None, {"authorization": f"Bearer {self.token}"})
        if response.status != 200:
            raise RuntimeError(f"CSRF token: {response.status} {response.text[:200]}")
        self.csrf = response.json["token"]

    def cart(self) -> Response:
        return self.call("GET", "/ecom/cart")

    def add(self, book_id: str, quantity: int = 1) -> Response:
        return self.call("POST", "/ecom/cart", {"bookId": book_id, "quantity": quantity})

    def checkout(self, idempotency_key: str) -> Response:
        return self.call("POST", "/ecom/checkout", None, {"idempotency-key": idempotency_key})

    def orders(self) -> Response:
        return self.call("GET", "/ecom/orders?page=0&size=100")


def seed_book(n: int) -> str:
    """The upstream books' fixed ids (`…0001` to `…0010`)."""
    return f"00000000-0000-0000-0000-{n:012d}"


def wait(what: str, check, timeout: float, every: float = 0.2):
    """Polls `check` until it returns something truthy; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last: {last!r})")


def order_ids_in(text: str) -> list[str]:
    return re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
