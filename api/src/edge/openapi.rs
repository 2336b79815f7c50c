//! The OpenAPI document served at `/openapi.json`, exact enough that a client generated from it never sends what
//! the server refuses, and is never surprised by an answer.
//!
//! Each handler's annotation declares what is particular to it (its body, its 404s and 409s). What follows from the
//! middleware every operation of a kind passes through is added here, from the same rules the middleware applies,
//! so the two cannot drift apart: 401 and 403 where a bearer token is checked, the CSRF token and its 403 on every
//! guarded write, 400/415/422 wherever a JSON body or a parameter is parsed, 429 with `Retry-After` in every
//! rate-limit tier, 503 wherever a database or Redis is asked. The paging and sorting parameters get the bounds and
//! values [`PageRequest`] and [`BookSort`] accept, and a book's body the limits its checks enforce.

use axum::http::Method;
use bookstore_entities::repo::catalog::{BookSort, SearchText, SortKey};
use bookstore_entities::types::{OrderStatus, PageRequest};
use chrono::Datelike;
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::edge::ratelimit;
use crate::features::admin;
use crate::identity::csrf;

#[derive(OpenApi)]
#[openapi(
    info(title = "Bookstore API", description = "Catalog, stock, carts, checkout, orders, admin console and analytics."),
    tags(
        (name = "catalog", description = "Public book catalog"),
        (name = "stock", description = "Public stock levels"),
        (name = "auth", description = "CSRF tokens for the signed-in user's writes"),
        (name = "cart", description = "The signed-in shopper's cart"),
        (name = "orders", description = "Checkout and the shopper's orders"),
        (name = "admin", description = "The admin console"),
        (name = "analytics", description = "Materialized analytics views (admin)"),
    )
)]
pub struct ApiDoc;

/// The oldest publication year a book may have.
pub const FIRST_YEAR: i32 = 1000;

/// The latest publication year a book may have: next year (announced books).
pub fn latest_year() -> i32 {
    chrono::Utc::now().year() + 1
}

/// Characters Rust's `str::trim` removes (Unicode `White_Space`), as a regular-expression class body: a required
/// text must hold a character outside it.
const WHITE_SPACE: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// A text without NUL (PostgreSQL text cannot hold it), with something besides white space when `required`.
fn text_pattern(required: bool) -> String {
    if required { format!(r"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$") } else { r"^[^\x00]*$".to_owned() }
}

/// Empty, white space alone, or an http(s) URL as `admin::is_web_url` reads it, with white space around.
fn web_url_or_blank() -> String {
    format!(
        r"^[{WHITE_SPACE}]*(https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?([/?#][^{WHITE_SPACE}\x00]*)?)?[{WHITE_SPACE}]*$"
    )
}

/// What [`SearchText`] accepts: no control character (`char::is_control`), and something besides them and white
/// space.
fn search_text() -> String {
    let control = r"\x00-\x1F\x7F-\x9F";
    format!("^[^{control}]*[^{control}{WHITE_SPACE}][^{control}]*$")
}

/// The finished document as JSON.
pub fn document(generated: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&generated).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    complete(&mut doc);
    doc
}

/// Adds to every operation what the middleware it passes through may answer, and the parameters' bounds.
pub fn complete(doc: &mut Value) {
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "csrf": {
            "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
            "description": "Single use: from GET /csrf/token, or the one the last write's answer carried in X-CSRF-Token",
        },
    });
    doc["components"]["responses"] = shared_responses();
    complete_book_bodies(doc);
    link_created_resources(doc);
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            complete_operation(path, &method, operation);
        }
    }
}

fn complete_operation(path: &str, method: &Method, operation: &mut Value) {
    let signed_in = operation.get("security").is_some();
    let guarded = signed_in && csrf::guarded(method, path);
    if guarded {
        operation["security"] = json!([{"bearer": [], "csrf": []}]);
        for (status, response) in operation.get_mut("responses").and_then(Value::as_object_mut).into_iter().flatten() {
            if status.starts_with('2') {
                response["headers"]["X-CSRF-Token"] = json!({
                    "description": "The CSRF token the next write spends", "schema": {"type": "string"},
                });
            }
        }
    }
    let has_body = operation.get("requestBody").is_some();
    let has_parameters = operation.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
    let mut answers = Vec::new();
    if has_body {
        answers.extend([("400", "BadRequest"), ("415", "UnsupportedMediaType")]);
    }
    if has_body || has_parameters {
        answers.push(("422", "Invalid"));
    }
    if signed_in {
        answers.push(("401", "Unauthorized"));
        // Every signed-in operation but asking for a CSRF token needs a role; every guarded write, a CSRF token.
        if path != "/csrf/token" || guarded {
            answers.push(("403", "Forbidden"));
        }
    }
    if ratelimit::tier(method, path).is_some() {
        answers.push(("429", "TooManyRequests"));
    }
    answers.push(("503", "Unavailable"));
    for (status, name) in answers {
        let responses = &mut operation["responses"];
        if responses.get(status).is_none() {
            responses[status] = json!({"$ref": format!("#/components/responses/{name}")});
        }
    }
    for parameter in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
        constrain(parameter);
    }
}

/// The bounds and values the server accepts for the parameters every listing shares.
fn constrain(parameter: &mut Value) {
    let schema = match parameter["name"].as_str() {
        Some("page") => json!({"type": "integer", "minimum": 0, "maximum": PageRequest::MAX_PAGE, "default": 0}),
        Some("size") => json!({"type": "integer", "minimum": 1, "maximum": PageRequest::MAX_SIZE, "default": 20}),
        Some("sort") => json!({"type": "string", "enum": sort_values(), "default": "title"}),
        Some("name") if parameter["in"] == "path" => json!({"type": "string", "enum": view_names()}),
        Some("status") if parameter["in"] == "query" => {
            json!({"type": "string", "enum": OrderStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()})
        }
        Some("q") => {
            json!({"type": "string", "minLength": 1, "maxLength": SearchText::MAX_CHARS, "pattern": search_text()})
        }
        _ => return,
    };
    parameter["schema"] = schema;
}

/// The analytics views `GET /analytics/views/{name}` serves.
fn view_names() -> Vec<&'static str> {
    bookstore_materializer::VIEWS.iter().map(|(name, _)| *name).chain(["vw_cdc_latency"]).collect()
}

/// Every `sort` value [`BookSort`] parses: each key alone, with `,asc` and with `,desc`.
pub fn sort_values() -> Vec<String> {
    let keys = [SortKey::Title, SortKey::Author, SortKey::Price, SortKey::PublishedYear, SortKey::CreatedAt];
    // A new key must be listed above: this match stops compiling until it is.
    for key in keys {
        match key {
            SortKey::Title | SortKey::Author | SortKey::Price | SortKey::PublishedYear | SortKey::CreatedAt => {}
        }
    }
    keys.iter()
        .flat_map(|&key| {
            let asc = BookSort { key, descending: false }.to_string();
            let name = asc.split(',').next().unwrap_or_default().to_owned();
            let desc = BookSort { key, descending: true }.to_string();
            [name, asc, desc]
        })
        .collect()
}

/// One book body for creating (ISBN and price required, `initialStock` allowed) and one for editing (no
/// `initialStock`; a missing ISBN keeps the book's), both with the publication years the checks accept now.
fn complete_book_bodies(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    let Some(mut book) = schemas.get("BookRequest").cloned() else { return };
    let properties = &mut book["properties"];
    for field in admin::TEXT_FIELDS.iter().filter(|f| f.name != admin::ISBN.name) {
        properties[field.name]["maxLength"] = json!(field.max);
        properties[field.name]["pattern"] = json!(text_pattern(field.required));
    }
    properties[admin::COVER_URL.name]["pattern"] = json!(web_url_or_blank());
    // No pattern can say "a valid check digit": the format names the rule, the description spells it out.
    let isbn = &mut properties[admin::ISBN.name];
    *isbn = json!({"type": "string", "format": "isbn", "description": isbn["description"]});
    properties["publishedYear"]["minimum"] = json!(FIRST_YEAR);
    properties["publishedYear"]["maximum"] = json!(latest_year());
    let mut create = book.clone();
    create["required"] = json!(["title", "author", "price", "isbn"]);
    let mut edit = book;
    edit["required"] = json!(["title", "author", "price"]);
    if let Some(properties) = edit["properties"].as_object_mut() {
        properties.remove("initialStock");
    }
    schemas["NewBook"] = create;
    schemas["BookEdit"] = edit;
    if let Some(map) = schemas.as_object_mut() {
        map.remove("BookRequest");
    }
    for (path, method, schema) in
        [("/ecom/admin/books", "post", "NewBook"), ("/ecom/admin/books/{id}", "put", "BookEdit")]
    {
        let pointer =
            format!("/paths/{}/{method}/requestBody/content/application~1json/schema", path.replace('/', "~1"));
        if let Some(body) = doc.pointer_mut(&pointer) {
            *body = json!({"$ref": format!("#/components/schemas/{schema}")});
        }
    }
}

/// OpenAPI links from what a write makes to the operations that take its id, so a client (or a stateful test) knows
/// where to go next.
fn link_created_resources(doc: &mut Value) {
    /// A write, the statuses that answer with what it made, and the operations (with their id parameter) that take it.
    type Links<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let body_id = "$response.body#/id";
    let links: [Links<'_>; 3] = [
        (
            "/ecom/checkout",
            "post",
            &["200", "201"],
            &[
                ("my_order", "id"),
                ("get_order", "id"),
                ("cancel_my_order", "id"),
                ("ship_order", "id"),
                ("deliver_order", "id"),
                ("cancel_order", "id"),
            ],
        ),
        ("/ecom/cart", "post", &["200", "201"], &[("set_cart_item", "itemId"), ("remove_cart_item", "itemId")]),
        (
            "/ecom/admin/books",
            "post",
            &["201"],
            &[
                ("get_book", "id"),
                ("admin_get_book", "id"),
                ("update_book", "id"),
                ("delete_book", "id"),
                ("get_stock", "book_id"),
                ("set_stock", "book_id"),
                ("adjust_stock", "book_id"),
            ],
        ),
    ];
    for (path, method, statuses, targets) in links {
        for status in statuses {
            let pointer = format!("/paths/{}/{method}/responses/{status}", path.replace('/', "~1"));
            let Some(response) = doc.pointer_mut(&pointer) else { continue };
            for (operation, parameter) in targets {
                response["links"][*operation] = json!({"operationId": operation, "parameters": {*parameter: body_id}});
            }
        }
    }
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}

fn shared_responses() -> Value {
    let mut unauthorized = problem("No valid bearer token: sign in");
    unauthorized["headers"] = json!({"WWW-Authenticate": {"schema": {"type": "string", "enum": ["Bearer"]}}});
    let mut forbidden = problem(
        "The token lacks the role, or a write's CSRF token is missing, spent or another user's (type \
         `/problems/csrf`: the problem's `token` and the X-CSRF-Token header carry a fresh one to retry with)",
    );
    forbidden["headers"] = json!({"X-CSRF-Token": {"description": "A fresh CSRF token", "schema": {"type": "string"}}});
    let mut too_many = problem("Over the rate limit of this tier");
    too_many["headers"] = json!({
        "Retry-After": {"description": "Seconds until a request is let in", "schema": {"type": "integer", "minimum": 1}},
    });
    json!({
        "BadRequest": problem("The body is not JSON"),
        "UnsupportedMediaType": problem("The body is not sent as `application/json`"),
        "Invalid": problem("A parameter or field is invalid; `invalid-params` names each"),
        "Unauthorized": unauthorized,
        "Forbidden": forbidden,
        "TooManyRequests": too_many,
        "Unavailable": problem("A database (or the shared token store) is unavailable; nothing was changed"),
    })
}
