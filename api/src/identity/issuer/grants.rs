//! The token endpoint's grants (authorization code with PKCE, refresh token, password), revocation and logout,
//! answering OAuth clients in RFC 6749's error shape.

use super::pages::error_page;
use super::*;

/// An RFC 6749 error answer (`{error, error_description}`): OAuth clients expect this shape, not problem+json.
#[derive(Debug)]
pub(super) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub(super) fn request(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "invalid_request", description: description.into() }
    }
    pub(super) fn grant(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "invalid_grant", description: description.into() }
    }
    pub(super) fn server(description: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, error: "server_error", description: description.into() }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.error, "error_description": self.description}));
        (self.status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], body).into_response()
    }
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
}

pub(super) async fn token(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, OAuthError> {
    if form.client_id != CLIENT_ID {
        return Err(OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "unknown client".to_owned(),
        });
    }
    let tokens = match form.grant_type.as_str() {
        "authorization_code" => {
            let code = form.code.ok_or_else(|| OAuthError::request("code is required"))?;
            let verifier = form.code_verifier.ok_or_else(|| OAuthError::request("code_verifier is required"))?;
            // Single use: taken out whether or not the rest checks out.
            let pending = issuer
                .inner
                .codes
                .remove(&digest(&code))
                .ok_or_else(|| OAuthError::grant("unknown, used or expired code"))?;
            if form.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str()) {
                return Err(OAuthError::grant("redirect_uri does not match the authorization request"));
            }
            if !(43..=128).contains(&verifier.len())
                || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge
            {
                return Err(OAuthError::grant("code_verifier does not match the code_challenge"));
            }
            issuer.mint(Grant {
                issuer: &pending.issuer,
                user: &pending.user,
                scope: &pending.scope,
                nonce: pending.nonce.as_deref(),
                auth_time: pending.auth_time,
                sid: Some(&pending.sid),
            })?
        }
        "refresh_token" => {
            let token = form.refresh_token.ok_or_else(|| OAuthError::request("refresh_token is required"))?;
            // Rotation: the old refresh token is spent.
            let session = issuer
                .inner
                .refresh
                .remove(&digest(&token))
                .ok_or_else(|| OAuthError::grant("unknown, revoked or expired refresh token"))?;
            // A refresh token lives as long as its sign-in session, and using it keeps the session alive.
            if let Some(sid) = &session.sid
                && issuer.use_session(sid).is_none()
            {
                return Err(OAuthError::grant("the sign-in session has ended"));
            }
            issuer.mint(Grant {
                issuer: &session.issuer,
                user: &session.user,
                scope: &session.scope,
                nonce: None,
                auth_time: session.auth_time,
                sid: session.sid.as_deref(),
            })?
        }
        "password" => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Err(OAuthError::request("username and password are required"));
            };
            match issuer.check_password(&username, &password) {
                Ok(()) => {}
                Err(LoginError::Wrong) => return Err(OAuthError::grant("wrong username or password")),
                Err(LoginError::Throttled) => {
                    return Err(OAuthError {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        error: "invalid_grant",
                        description: "too many failed attempts; wait a few minutes".to_owned(),
                    });
                }
            }
            let scope = form.scope.unwrap_or_else(|| "openid".to_owned());
            issuer.mint(Grant {
                issuer: &issuer.issuer_for(&headers),
                user: &username,
                scope: &scope,
                nonce: None,
                auth_time: chrono::Utc::now().timestamp(),
                sid: None,
            })?
        }
        other => {
            return Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!("`{other}` is not supported"),
            });
        }
    };
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(tokens)).into_response())
}

#[derive(Deserialize)]
pub(super) struct RevokeForm {
    #[serde(default)]
    token: String,
}

/// RFC 7009: always 200, whether or not the token was known.
pub(super) async fn revoke(State(issuer): State<DevIssuer>, Form(form): Form<RevokeForm>) -> StatusCode {
    issuer.inner.refresh.invalidate(&digest(&form.token));
    StatusCode::OK
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LogoutParams {
    refresh_token: Option<String>,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Ends the sign-in session the request names (by its cookie, a refresh token or an ID token of it), which ends
/// every refresh token of it, and tells the browser to forget the cookie.
pub(super) fn logout(issuer: &DevIssuer, headers: &HeaderMap, params: LogoutParams) -> Response {
    let mut sessions: Vec<String> = DevIssuer::session_id(headers).into_iter().collect();
    if let Some(token) = &params.refresh_token
        && let Some(refresh) = issuer.inner.refresh.remove(&digest(token))
    {
        sessions.extend(refresh.sid);
    }
    sessions.extend(params.id_token_hint.as_deref().and_then(|hint| issuer.sid_of(hint)));
    for sid in &sessions {
        issuer.inner.sessions.invalidate(sid);
    }
    let mut response = match params.post_logout_redirect_uri {
        Some(uri) if issuer.redirect_allowed(&uri) => {
            let target = match params.state {
                Some(state) => format!(
                    "{uri}{}state={}",
                    if uri.contains('?') { '&' } else { '?' },
                    form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
                ),
                None => uri,
            };
            Redirect::to(&target).into_response()
        }
        Some(_) => error_page(StatusCode::BAD_REQUEST, "This sign-out redirect address is not registered."),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    response.headers_mut().append(header::SET_COOKIE, issuer.session_cookie(None));
    response
}

pub(super) async fn logout_get(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Query(params): Query<LogoutParams>,
) -> Response {
    logout(&issuer, &headers, params)
}

pub(super) async fn logout_post(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(params): Form<LogoutParams>,
) -> Response {
    logout(&issuer, &headers, params)
}
