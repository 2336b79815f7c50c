//! The web app served by the same binary, with SPA fallback routing that never swallows API paths.

use crate::helpers::{Options, assert_problem, spawn};

#[tokio::test]
async fn pages_get_the_app_and_assets_are_immutable() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>Bookstore</title>").unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("assets/app-1a2b.js"), "console.log('shop')").unwrap();
    let app = spawn(Options { web_dir: Some(web.path().to_path_buf()), ..Default::default() }).await;

    for page in ["/", "/books/00000000-0000-0000-0000-000000000001", "/orders", "/admin/books/new", "/no-such-page"] {
        let response = app.client.get(app.url(page)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        assert!(response.text().await.unwrap().contains("<title>Bookstore</title>"), "{page}");
    }
    let asset = app.get("/assets/app-1a2b.js").await;
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(asset.text().await.unwrap(), "console.log('shop')");

    // API paths keep their problem documents; writes never get the app.
    assert_problem(app.get("/ecom/nothing-here").await, 404).await;
    assert_problem(app.get("/inven").await, 404).await;
    assert_problem(app.client.post(app.url("/orders")).send().await.unwrap(), 404).await;
    assert_eq!(app.get_json("/ecom/books?size=1").await.0, 200);
}
