"""The Keycloak realm export the identity ConfigMap imports (base/identity/realm-bookstore.json)."""

from __future__ import annotations

import json
import re

from conftest import BASE, by_kind

REALM = json.loads((BASE / "identity" / "realm-bookstore.json").read_text())


def client() -> dict:
    (c,) = [c for c in REALM["clients"] if c["clientId"] == "ui-client"]
    return c


def test_realm_and_roles():
    assert REALM["realm"] == "bookstore" and REALM["enabled"]
    assert {r["name"] for r in REALM["roles"]["realm"]} == {"customer", "admin"}


def test_ui_client_is_public_with_pkce_s256():
    c = client()
    assert c["publicClient"] is True and c["standardFlowEnabled"] is True
    assert c["implicitFlowEnabled"] is False
    assert c["attributes"]["pkce.code.challenge.method"] == "S256"
    assert "http://localhost:30080/callback" in c["redirectUris"]
    assert all("*" not in uri for uri in c["redirectUris"]), "no wildcard redirect URIs"


def test_token_mappers_roles_claim_and_audience():
    mappers = {m["protocolMapper"]: m["config"] for m in client()["protocolMappers"]}
    roles = mappers["oidc-usermodel-realm-role-mapper"]
    assert roles["claim.name"] == "roles" and roles["multivalued"] == "true"
    assert roles["access.token.claim"] == "true"
    audience = mappers["oidc-audience-mapper"]
    assert audience["included.custom.audience"] == "bookstore-api"
    assert audience["access.token.claim"] == "true"


def test_users_and_password_placeholders():
    users = {u["username"]: u for u in REALM["users"]}
    assert set(users["user1"]["realmRoles"]) == {"customer"}
    assert set(users["admin1"]["realmRoles"]) == {"customer", "admin"}
    for name, user in users.items():
        for cred in user["credentials"]:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", cred["value"]), f"{name}: password must be an env placeholder"


def test_keycloak_receives_every_placeholder(objects):
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", json.dumps(REALM)))
    (kc,) = [d for d in by_kind(objects, "Deployment") if d["metadata"]["name"] == "keycloak"]
    env = kc["spec"]["template"]["spec"]["containers"][0]["env"]
    from_secrets = {e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
    assert placeholders <= from_secrets, f"placeholders without a Secret-backed env var: {placeholders - from_secrets}"
