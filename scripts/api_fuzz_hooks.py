"""Schemathesis hooks of scripts/api-fuzz.

CSRF tokens are single use (docs/API.md): a token sent once is spent, so one token passed with -H would let only
the first write through and turn every later one into a 403. Every write that carries the header therefore gets a
fresh token of its own, asked for with the run's bearer token just before the call.
"""

import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies

BASE_URL = os.environ["API_FUZZ_BASE_URL"]
BEARER = os.environ["API_FUZZ_BEARER"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def fresh_csrf_token() -> str:
    request = urllib.request.Request(f"{BASE_URL}/csrf/token", headers={"Authorization": f"Bearer {BEARER}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


@schemathesis.hook
def before_call(context, case, **kwargs):
    # Only where the case carries the header (api-fuzz passes a placeholder): a check that leaves it out on purpose
    # must see the write refused.
    headers = case.headers or {}
    name = next((h for h in headers if h.lower() == "x-csrf-token"), None)
    if case.method.upper() in WRITES and name is not None:
        headers[name] = fresh_csrf_token()
        case.headers = headers


def isbn13(body: str) -> str:
    """An ISBN-13 from its first 12 digits: the check digit makes the weighted sum a multiple of 10."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return f"{body[:3]}-{body[3:]}{(10 - total % 10) % 10}"


# The document declares `format: isbn` (a valid check digit, which no pattern can say): valid values come from here.
schemathesis.openapi.format(
    "isbn",
    strategies.tuples(strategies.sampled_from(["978", "979"]), strategies.text("0123456789", min_size=9, max_size=9))
    .map(lambda parts: isbn13(parts[0] + parts[1])),
)
