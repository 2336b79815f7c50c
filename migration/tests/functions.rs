//! Each database holds exactly the functions of `src/sql/functions/<database>/`: after all migrations ran on a
//! fresh database, every function of its `public` schema (those of extensions aside) has a file, and PostgreSQL's
//! own rendering of it (`pg_get_functiondef`) is that file's definition. So the file is the function, and reading
//! the newest of several migrations to find out what a function does is never needed.

use bookstore_migration::testing::TestDatabases;
use bookstore_migration::{ANALYTICS_FUNCTIONS, ECOM_FUNCTIONS, INVENTORY_FUNCTIONS};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// The definition in a function file: the statement without the file's leading comment and final `;`.
fn definition(file: &str) -> &str {
    let start = file.find("CREATE OR REPLACE FUNCTION").expect("a CREATE OR REPLACE FUNCTION statement");
    file[start..].trim_end().trim_end_matches(';').trim_end()
}

async fn functions_of(db: &DatabaseConnection) -> Vec<(String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT p.proname::text AS name, pg_get_functiondef(p.oid) AS def
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
             ORDER BY 1",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| (row.try_get("", "name").unwrap(), row.try_get::<String>("", "def").unwrap().trim_end().to_owned()))
        .collect()
}

async fn check(database: &str, url: &str, files: &[(&str, &str)]) {
    let db = Database::connect(url).await.unwrap();
    let held = functions_of(&db).await;
    db.close().await.unwrap();
    let mut expected: Vec<(String, String)> =
        files.iter().map(|(name, file)| ((*name).to_owned(), definition(file).to_owned())).collect();
    expected.sort();
    let names = |list: &[(String, String)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&held), names(&expected), "{database}: the functions in the database and in src/sql/functions");
    for ((name, in_db), (_, in_file)) in held.iter().zip(&expected) {
        assert_eq!(in_db, in_file, "{database}: {name}() differs from src/sql/functions/{database}/{name}.sql");
    }
}

#[tokio::test]
async fn each_database_holds_exactly_its_function_files() {
    // Copies of the templates: databases the migrations just built.
    let dbs = TestDatabases::create("fn").await;
    check("ecom", &dbs.ecom, ECOM_FUNCTIONS).await;
    check("inventory", &dbs.inventory, INVENTORY_FUNCTIONS).await;
    check("analytics", &dbs.analytics, ANALYTICS_FUNCTIONS).await;
    dbs.drop().await;
}
