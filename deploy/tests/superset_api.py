"""A small client for Superset's REST API (Python standard library only).

The deploy tests drive a real Superset through it, and so can a smoke test of a running cluster: log in
once, then ask every chart for its data the way alerts, reports and cache warm-up do
(`GET /api/v1/chart/{id}/data/`, which runs the query context saved with the chart), and read charts,
datasets and databases back. Nothing here depends on pytest.
"""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any


class ApiError(RuntimeError):
    """Superset answered with an HTTP error status."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url}: HTTP {status}: {body[:2000]}")
        self.status = status
        self.body = body


@dataclass
class Session:
    """An authenticated connection to one Superset: a JWT access token plus the cookie jar that holds the
    session cookie the CSRF token is bound to."""

    base_url: str
    access_token: str
    opener: urllib.request.OpenerDirector
    timeout: float = 120.0
    csrf_token: str | None = field(default=None)

    def request(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        """JSON in, JSON out; raises ApiError on a status >= 400."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method not in ("GET", "HEAD"):
            # Superset's CSRF protection covers every state-changing call made with a session.
            headers["X-CSRFToken"] = self.csrf()
            headers["Referer"] = self.base_url
        return _send(self.opener, method, url, data, headers, self.timeout)

    def get(self, path: str, query: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, query=query)

    def csrf(self) -> str:
        if self.csrf_token is None:
            self.csrf_token = self.get("/api/v1/security/csrf_token/")["result"]
        return self.csrf_token


def _send(opener: urllib.request.OpenerDirector, method: str, url: str, data: bytes | None,
          headers: dict[str, str], timeout: float) -> Any:
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with opener.open(req, timeout=timeout) as resp:
            raw = resp.read().decode()
    except urllib.error.HTTPError as err:
        raise ApiError(method, url, err.code, err.read().decode(errors="replace")) from None
    return json.loads(raw) if raw else None


def rison(value: Any) -> str:
    """Encode the few shapes Superset's list endpoints take in `q` (dicts, lists, strings, numbers, booleans)."""
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if value is None:
        return "!n"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if value and all(c.isalnum() or c in "_-./~" for c in value) and not value[0].isdigit() \
                and value[0] not in "-":
            return value
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, (list, tuple)):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{rison(v)}" for k, v in value.items()) + ")"
    raise TypeError(f"cannot rison-encode {type(value).__name__}")


def wait_healthy(base_url: str, timeout: float = 180.0) -> None:
    """Wait until Superset's /health answers 200 (the web server is up and its app is created)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=5) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            last = str(err)
        time.sleep(1)
    raise TimeoutError(f"{base_url}/health not healthy after {timeout:.0f}s: {last}")


def login(base_url: str, username: str, password: str, timeout: float = 120.0) -> Session:
    """Log in with Superset's database auth provider and return a session carrying the JWT."""
    base_url = base_url.rstrip("/")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    body = json.dumps({"username": username, "password": password, "provider": "db", "refresh": True}).encode()
    answer = _send(opener, "POST", base_url + "/api/v1/security/login", body,
                   {"Content-Type": "application/json", "Accept": "application/json"}, timeout)
    return Session(base_url=base_url, access_token=answer["access_token"], opener=opener, timeout=timeout)


def list_all(session: Session, resource: str, columns: list[str], filters: list[dict] | None = None) -> list[dict]:
    """Every row of a list endpoint (/api/v1/<resource>/), page by page."""
    rows: list[dict] = []
    page = 0
    while True:
        q: dict[str, Any] = {"columns": columns, "page": page, "page_size": 100}
        if filters:
            q["filters"] = filters
        answer = session.get(f"/api/v1/{resource}/", {"q": rison(q)})
        rows.extend(answer["result"])
        if len(rows) >= answer["count"] or not answer["result"]:
            return rows
        page += 1


def charts(session: Session) -> dict[str, int]:
    """Chart title -> chart id."""
    return {c["slice_name"]: c["id"] for c in list_all(session, "chart", ["id", "slice_name"])}


def chart(session: Session, id_or_uuid: int | str) -> dict:
    """One chart as Superset stores it: slice_name, params and query_context (JSON strings), ..."""
    return session.get(f"/api/v1/chart/{id_or_uuid}")["result"]


def dataset(session: Session, id_or_uuid: int | str) -> dict:
    """One dataset: table_name, description, columns, metrics, database, ..."""
    return session.get(f"/api/v1/dataset/{id_or_uuid}")["result"]


def database(session: Session, database_name: str) -> dict:
    """One database connection by name: sqlalchemy_uri (password masked), parameters (host, port, database,
    username), extra, ... as `GET /api/v1/database/{id}/connection` shows it."""
    found = list_all(session, "database", ["id", "database_name"],
                     [{"col": "database_name", "opr": "eq", "value": database_name}])
    if len(found) != 1:
        raise LookupError(f"database {database_name!r}: {len(found)} matches")
    return session.get(f"/api/v1/database/{found[0]['id']}/connection")["result"]


def chart_rows(session: Session, chart_id: int, force: bool = True) -> int:
    """Rows the chart's saved query context returns (the first query's rowcount); raises ApiError."""
    query = {"force": "true"} if force else None
    answer = session.get(f"/api/v1/chart/{chart_id}/data/", query)
    result = answer["result"][0]
    if result.get("error"):
        raise ApiError("GET", f"/api/v1/chart/{chart_id}/data/", 200, str(result["error"]))
    return int(result.get("rowcount", len(result.get("data") or [])))


def chart_data(session: Session, force: bool = True) -> dict[str, int | str]:
    """Chart title -> rows its data API returns, or the error it answered with instead."""
    out: dict[str, int | str] = {}
    for name, chart_id in sorted(charts(session).items()):
        try:
            out[name] = chart_rows(session, chart_id, force)
        except ApiError as err:
            out[name] = str(err)
    return out
