//! The browser side of signing in: the authorization request, answered from the sign-in session (`prompt=none`
//! included) or by the login page, whose form issues a code and starts the session.

use super::*;

/// The parameters of an authorization request, carried through the login form unchanged.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    state: Option<String>,
    nonce: Option<String>,
    scope: Option<String>,
    /// `none` (answer from the sign-in session or not at all) or `login` (ask again even with a session).
    prompt: Option<String>,
    /// Seconds since signing in beyond which the session does not count.
    max_age: Option<String>,
}

impl AuthorizeParams {
    /// Problems that make it unsafe to redirect at all are an error page; the rest go back to the client.
    #[allow(clippy::result_large_err)] // the error is the finished answer, returned once per request
    fn check(&self, issuer: &DevIssuer) -> Result<(), Response> {
        if self.client_id != CLIENT_ID {
            return Err(error_page(StatusCode::BAD_REQUEST, "Unknown client."));
        }
        if !issuer.redirect_allowed(&self.redirect_uri) {
            return Err(error_page(StatusCode::BAD_REQUEST, "This redirect address is not registered for the client."));
        }
        let problem = if self.response_type != "code" {
            Some(("unsupported_response_type", "only the code flow is supported"))
        } else if self.code_challenge_method != "S256" || self.code_challenge.len() != 43 {
            Some(("invalid_request", "PKCE with code_challenge_method=S256 is required"))
        } else {
            None
        };
        match problem {
            Some((error, description)) => {
                Err(self.redirect_with(&[("error", error), ("error_description", description)]))
            }
            None => Ok(()),
        }
    }

    fn redirect_with(&self, pairs: &[(&str, &str)]) -> Response {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(pairs);
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        let separator = if self.redirect_uri.contains('?') { '&' } else { '?' };
        Redirect::to(&format!("{}{separator}{}", self.redirect_uri, query.finish())).into_response()
    }
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><main><h1>Sign-in error</h1><p role=\"alert\">{}</p></main></body></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}

pub(super) fn login_page(status: StatusCode, params: &AuthorizeParams, message: Option<&str>) -> Response {
    let hidden: String = [
        ("response_type", Some(params.response_type.as_str())),
        ("client_id", Some(params.client_id.as_str())),
        ("redirect_uri", Some(params.redirect_uri.as_str())),
        ("code_challenge", Some(params.code_challenge.as_str())),
        ("code_challenge_method", Some(params.code_challenge_method.as_str())),
        ("state", params.state.as_deref()),
        ("nonce", params.nonce.as_deref()),
        ("scope", params.scope.as_deref()),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|v| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(v)))
    })
    .collect();
    let alert = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m))).unwrap_or_default();
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Bookstore</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f5f2;display:grid;place-items:center;min-height:100vh;margin:0}}
main{{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;width:min(22rem,90vw)}}
label{{display:block;margin-top:1rem;font-weight:600}} input[type=text],input[type=password]{{width:100%;padding:.6rem;margin-top:.3rem;box-sizing:border-box}}
button{{margin-top:1.5rem;width:100%;padding:.7rem;background:#1f4e79;color:#fff;border:0;border-radius:6px;font-size:1rem}}
.error{{color:#a30000}} .note{{color:#555;font-size:.85rem}}
</style></head>
<body><main>
<h1>Sign in to Bookstore</h1>
<p class="note">Development sign-in (built-in issuer).</p>
{alert}
<form method="post" action="/auth/authorize">
{hidden}
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body></html>"#
    );
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Html(body)).into_response()
}

pub(super) async fn authorize_page(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    if let Err(response) = params.check(&issuer) {
        return response;
    }
    let prompts: Vec<&str> = params.prompt.as_deref().unwrap_or_default().split_whitespace().collect();
    let fresh_enough = |session: &SignInSession| match params.max_age.as_deref().map(str::parse::<i64>) {
        Some(Ok(max_age)) => chrono::Utc::now().timestamp() - session.auth_time <= max_age,
        _ => true,
    };
    let session = DevIssuer::session_id(&headers)
        .and_then(|sid| issuer.use_session(&sid).map(|session| (sid, session)))
        .filter(|(_, session)| fresh_enough(session));
    if prompts.contains(&"none") {
        return match session {
            _ if prompts.len() > 1 => {
                params.redirect_with(&[("error", "invalid_request"), ("error_description", "prompt=none stands alone")])
            }
            Some((sid, session)) => issue_code(&issuer, &headers, &params, &session, sid),
            None => params.redirect_with(&[("error", "login_required"), ("error_description", "no sign-in session")]),
        };
    }
    match session {
        // Signed in already: the code comes at once, as from Keycloak's session.
        Some((sid, session)) if !prompts.contains(&"login") => issue_code(&issuer, &headers, &params, &session, sid),
        _ => login_page(StatusCode::OK, &params, None),
    }
}

/// Redirects back to the client with a code for the session's user.
pub(super) fn issue_code(
    issuer: &DevIssuer,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    session: &SignInSession,
    sid: String,
) -> Response {
    let code = random_token();
    issuer.inner.codes.insert(
        digest(&code),
        PendingCode {
            user: session.user.clone(),
            redirect_uri: params.redirect_uri.clone(),
            challenge: params.code_challenge.clone(),
            nonce: params.nonce.clone(),
            scope: params.scope.clone().unwrap_or_else(|| "openid".to_owned()),
            issuer: issuer.issuer_for(headers),
            auth_time: session.auth_time,
            sid,
        },
    );
    let mut response = params.redirect_with(&[("code", &code)]);
    // 303: after the form's POST the browser follows with a GET.
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn authorize_submit(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let params = form.params;
    if let Err(response) = params.check(&issuer) {
        return response;
    }
    match issuer.check_password(&form.username, &form.password) {
        Err(LoginError::Wrong) => {
            return login_page(StatusCode::UNAUTHORIZED, &params, Some("Wrong username or password."));
        }
        Err(LoginError::Throttled) => {
            return login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &params,
                Some("Too many failed attempts; wait a few minutes."),
            );
        }
        Ok(()) => {}
    }
    // A new sign-in replaces whatever session the browser had.
    if let Some(old) = DevIssuer::session_id(&headers) {
        issuer.inner.sessions.invalidate(&old);
    }
    let (secret, sid, session) = issuer.start_session(&form.username);
    let mut response = issue_code(&issuer, &headers, &params, &session, sid);
    response.headers_mut().append(header::SET_COOKIE, issuer.session_cookie(Some(&secret)));
    response
}
