//! The public catalog over HTTP: paging, sorting, search, one book, HTTP caching and cache invalidation.

use std::collections::HashSet;
use std::time::Duration;

use crate::helpers::{assert_problem, exec, seed_id, spawn_app};

fn titles(page: &serde_json::Value) -> Vec<String> {
    page["content"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn first_page_holds_five_of_ten_books_sorted_by_title() {
    let app = spawn_app().await;
    let (status, page) = app.get_json("/ecom/books?page=0&size=5").await;
    assert_eq!(status, 200);
    assert_eq!(page["totalElements"], 10);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(page["number"], 0);
    assert_eq!(page["size"], 5);
    assert_eq!(
        titles(&page),
        [
            "Clean Code",
            "Designing Data-Intensive Applications",
            "Domain-Driven Design",
            "Kafka: The Definitive Guide",
            "Kubernetes in Action"
        ]
    );
}

#[tokio::test]
async fn a_book_has_every_field_and_an_exact_two_decimal_price() {
    let app = spawn_app().await;
    let response = app.get(&format!("/ecom/books/{}", seed_id(3))).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("\"price\":59.99"), "{text}");
    let book: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(book["id"], seed_id(3));
    assert_eq!(book["title"], "Designing Data-Intensive Applications");
    assert_eq!(book["author"], "Martin Kleppmann");
    assert_eq!(book["isbn"], "978-1449373320");
    assert_eq!(book["genre"], "Systems Design");
    assert_eq!(book["publishedYear"], 2017);
    assert!(book["description"].is_string() && book.get("coverUrl").is_some() && book["createdAt"].is_string());
}

#[tokio::test]
async fn pages_cover_the_catalog_without_overlap() {
    let app = spawn_app().await;
    let mut seen = HashSet::new();
    for page in 0..3 {
        let (_, body) = app.get_json(&format!("/ecom/books?page={page}&size=4&sort=price,desc")).await;
        for book in body["content"].as_array().unwrap() {
            assert!(seen.insert(book["id"].as_str().unwrap().to_owned()), "book repeated across pages");
        }
    }
    assert_eq!(seen.len(), 10);
    let (status, beyond) = app.get_json("/ecom/books?page=7&size=4").await;
    assert_eq!(status, 200);
    assert_eq!(beyond["content"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["totalElements"], 10);
}

#[tokio::test]
async fn every_sort_key_orders_the_catalog() {
    let app = spawn_app().await;
    let first = |sort: &'static str| {
        let app = &app;
        async move { titles(&app.get_json(&format!("/ecom/books?size=1&sort={sort}")).await.1)[0].clone() }
    };
    assert_eq!(first("price,desc").await, "Learning Python");
    assert_eq!(first("price").await, "Clean Code");
    assert_eq!(first("publishedYear").await, "Domain-Driven Design");
    assert_eq!(first("publishedYear,desc").await, "Spring in Action");
    assert_eq!(first("author").await, "Site Reliability Engineering");
    assert_eq!(first("title,desc").await, "The Pragmatic Programmer");
    let (status, _) = app.get_json("/ecom/books?sort=createdAt,desc").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_paging_and_sorting_parameters_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, parameter) in [
        ("size=0", "size"),
        ("size=10000", "size"),
        ("size=abc", "size"),
        ("page=-1", "page"),
        ("page=99999999999", "page"),
        ("sort=isbn", "sort"),
        ("sort=title,sideways", "sort"),
        ("sort=", "sort"),
    ] {
        let problem = assert_problem(app.get(&format!("/ecom/books?{query}")).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], parameter, "{query}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains(parameter), "{problem}");
    }
}

#[tokio::test]
async fn search_matches_title_author_genre_and_isbn_ignoring_case() {
    let app = spawn_app().await;
    let (status, found) = app.get_json("/ecom/books/search?q=kleppmann").await;
    assert_eq!(status, 200);
    assert_eq!(titles(&found), ["Designing Data-Intensive Applications"]);
    assert_eq!(titles(&app.get_json("/ecom/books/search?q=KAFKA").await.1), ["Kafka: The Definitive Guide"]);
    assert_eq!(
        titles(&app.get_json("/ecom/books/search?q=9781449373320").await.1),
        ["Designing Data-Intensive Applications"]
    );
    assert_eq!(titles(&app.get_json("/ecom/books/search?q=978-0132350884").await.1), ["Clean Code"]);
    let devops = app.get_json("/ecom/books/search?q=devops&size=1").await.1;
    assert_eq!(devops["totalElements"], 2);
    assert_eq!(devops["content"].as_array().unwrap().len(), 1);
    // LIKE wildcards are literal: "%" matches no title rather than every one.
    assert_eq!(app.get_json("/ecom/books/search?q=%25").await.1["totalElements"], 0);
    assert_eq!(app.get_json("/ecom/books/search?q=_").await.1["totalElements"], 0);
}

#[tokio::test]
async fn bad_search_queries_are_422() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    let huge = "x".repeat(10 * 1024);
    for query in ["", "q=", "q=%20%20", &format!("q={long}"), &format!("q={huge}"), "q=a%1Fb", "q=ok&size=0"] {
        let problem = assert_problem(app.get(&format!("/ecom/books/search?{query}")).await, 422).await;
        let name = problem["invalid-params"][0]["name"].as_str().unwrap().to_owned();
        assert!(name == "q" || name == "size", "{query}: {problem}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_book_ids() {
    let app = spawn_app().await;
    let missing = assert_problem(app.get("/ecom/books/7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001").await, 404).await;
    assert!(missing["detail"].as_str().unwrap().contains("7f0d8a52"));
    for bad in ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000001Z", "%27%20OR%201%3D1"] {
        let problem = assert_problem(app.get(&format!("/ecom/books/{bad}")).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], "id");
    }
}

#[tokio::test]
async fn catalog_reads_carry_an_etag_and_answer_304_when_unchanged() {
    let app = spawn_app().await;
    let first = app.get("/ecom/books?size=3").await;
    assert_eq!(first.headers()["cache-control"], "public, no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app.client.get(app.url("/ecom/books?size=3")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let other = app.client.get(app.url("/ecom/books?size=4")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(other.status(), 200);
}

/// A price change made outside this process (here: straight SQL) must reach every cached read: the list, the
/// search and the book itself, with new ETags.
#[tokio::test]
async fn a_price_change_is_never_served_stale_from_the_cache() {
    let app = spawn_app().await;
    let book_path = format!("/ecom/books/{}", seed_id(2));
    let cached = app.get(&book_path).await;
    let old_etag = cached.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(cached.json::<serde_json::Value>().await.unwrap()["price"], 39.99);
    app.get("/ecom/books?size=20").await;
    app.get("/ecom/books/search?q=clean").await;

    exec(&app.ecom, &format!("UPDATE books SET price = 35.50 WHERE id = '{}'", seed_id(2))).await;

    // The notification travels through PostgreSQL; allow it a moment, then every read must be fresh.
    let mut fresh = false;
    for _ in 0..50 {
        let (_, book) = app.get_json(&book_path).await;
        if book["price"] == 35.5 {
            fresh = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(fresh, "the new price never appeared");
    let list = app.get_json("/ecom/books?size=20").await.1;
    let clean = list["content"].as_array().unwrap().iter().find(|b| b["id"] == seed_id(2)).unwrap().clone();
    assert_eq!(clean["price"], 35.5);
    assert_eq!(app.get_json("/ecom/books/search?q=clean").await.1["content"][0]["price"], 35.5);
    let revalidated = app.client.get(app.url(&book_path)).header("if-none-match", &old_etag).send().await.unwrap();
    assert_eq!(revalidated.status(), 200, "the old ETag must no longer match");
    assert!(revalidated.text().await.unwrap().contains("\"price\":35.50"));
}
