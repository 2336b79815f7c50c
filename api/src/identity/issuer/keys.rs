//! The issuer's keys and what it publishes about them: the RS256 signing key kept in the data dir, discovery and
//! JWKS, and the random tokens and digests that codes, sessions and refresh tokens are made and stored with.

use super::*;

pub(super) fn load_or_create_key(path: &Path) -> anyhow::Result<RsaPrivateKey> {
    if let Ok(pem) = fs::read_to_string(path) {
        return RsaPrivateKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("reading the dev issuer key {}", path.display()));
    }
    let key = RsaPrivateKey::new(&mut OsRng, 2048).context("generating the dev issuer key")?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).context("encoding the dev issuer key")?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, pem.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("protecting {}", path.display()))?;
    Ok(key)
}

pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Refresh tokens and codes are stored by digest, so a memory dump does not hand them out.
pub(super) fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) async fn discovery(State(issuer): State<DevIssuer>, headers: HeaderMap) -> Json<Value> {
    let iss = issuer.issuer_for(&headers);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "preferred_username", "email", "roles", "auth_time", "sid"],
        "prompt_values_supported": ["none", "login"],
    }))
}

pub(super) async fn jwks(State(issuer): State<DevIssuer>) -> Json<Value> {
    let inner = &issuer.inner;
    Json(
        json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": inner.kid, "n": inner.modulus, "e": inner.exponent}]}),
    )
}
