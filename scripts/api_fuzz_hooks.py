"""Schemathesis hooks of scripts/api-fuzz.

CSRF tokens are single use (docs/API.md): a token sent once is spent, so one token passed with -H would let only
the first write through and turn every later one into a 403. Every write therefore gets a fresh token of its own,
asked for with the run's bearer token just before the call.
"""

import json
import os
import urllib.request

import schemathesis

BASE_URL = os.environ["API_FUZZ_BASE_URL"]
BEARER = os.environ["API_FUZZ_BEARER"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def fresh_csrf_token() -> str:
    request = urllib.request.Request(f"{BASE_URL}/csrf/token", headers={"Authorization": f"Bearer {BEARER}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.method.upper() in WRITES:
        case.headers = {**(case.headers or {}), "X-CSRF-Token": fresh_csrf_token()}
