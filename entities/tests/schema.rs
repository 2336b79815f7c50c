//! Every table of every database has a sea-orm entity, and each entity is its table: the same columns, each with
//! the same type and nullability, and the same primary key. Checked against databases the migrations just built,
//! so an entity cannot drift from the schema.

use bookstore_entities::entity::{analytics, ecom, inventory};
use bookstore_migration::testing::TestDatabases;
use sea_orm::sea_query::{ColumnType, Iden};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, Iterable, PrimaryKeyToColumn,
    Statement,
};

/// The PostgreSQL type an entity's column type stands for.
fn udt(column_type: &ColumnType) -> &'static str {
    match column_type {
        ColumnType::Uuid => "uuid",
        ColumnType::String(_) | ColumnType::Text => "text",
        ColumnType::Integer => "int4",
        ColumnType::BigInteger => "int8",
        ColumnType::Boolean => "bool",
        ColumnType::TimestampWithTimeZone => "timestamptz",
        ColumnType::Date => "date",
        ColumnType::Decimal(_) => "numeric",
        ColumnType::Json | ColumnType::JsonBinary => "jsonb",
        other => panic!("no PostgreSQL type known for {other:?}"),
    }
}

/// (column, type, nullable) in table order, and the primary key's columns in key order.
type Shape = (Vec<(String, String, bool)>, Vec<String>);

async fn table_shape(db: &DatabaseConnection, table: &str) -> Shape {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT column_name::text AS name, udt_name::text AS udt, is_nullable = 'YES' AS null
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
             ORDER BY ordinal_position",
            [table.into()],
        ))
        .await
        .unwrap();
    let columns = rows
        .iter()
        .map(|r| (r.try_get("", "name").unwrap(), r.try_get("", "udt").unwrap(), r.try_get("", "null").unwrap()))
        .collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT k.column_name::text AS name
             FROM information_schema.table_constraints c
             JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public' AND c.table_name = $1
             ORDER BY k.ordinal_position",
            [table.into()],
        ))
        .await
        .unwrap();
    (columns, rows.iter().map(|r| r.try_get("", "name").unwrap()).collect())
}

fn entity_shape<E: EntityTrait>() -> Shape {
    let columns = E::Column::iter()
        .map(|c| {
            let def = c.def();
            (c.to_string(), udt(def.get_column_type()).to_owned(), def.is_null())
        })
        .collect();
    (columns, E::PrimaryKey::iter().map(|k| k.into_column().to_string()).collect())
}

async fn check<E: EntityTrait + Default>(db: &DatabaseConnection, checked: &mut Vec<String>) {
    let table = E::default().table_name().to_owned();
    let (mut in_db, in_entity) = (table_shape(db, &table).await, entity_shape::<E>());
    in_db.0.sort();
    let mut entity_columns = in_entity.0.clone();
    entity_columns.sort();
    assert_eq!(entity_columns, in_db.0, "{table}: columns (name, type, nullable) of the entity and the table");
    assert_eq!(in_entity.1, in_db.1, "{table}: primary key");
    // The entity reads its table.
    E::find().all(db).await.unwrap_or_else(|e| panic!("{table}: reading through the entity: {e}"));
    checked.push(table);
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'
             ORDER BY 1",
        ))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get("", "name").unwrap()).collect()
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

#[tokio::test]
async fn every_table_has_its_entity() {
    // Copies of the templates: databases the migrations just built.
    let dbs = TestDatabases::create("schema").await;

    let db = Database::connect(&dbs.ecom).await.unwrap();
    let mut checked = Vec::new();
    check::<ecom::book::Entity>(&db, &mut checked).await;
    check::<ecom::cart_item::Entity>(&db, &mut checked).await;
    check::<ecom::order::Entity>(&db, &mut checked).await;
    check::<ecom::order_item::Entity>(&db, &mut checked).await;
    check::<ecom::order_history::Entity>(&db, &mut checked).await;
    check::<ecom::outbox_event::Entity>(&db, &mut checked).await;
    assert_eq!(sorted(checked), tables(&db).await, "every ecom table has an entity");
    db.close().await.unwrap();

    let db = Database::connect(&dbs.inventory).await.unwrap();
    let mut checked = Vec::new();
    check::<inventory::stock::Entity>(&db, &mut checked).await;
    check::<inventory::reservation::Entity>(&db, &mut checked).await;
    assert_eq!(sorted(checked), tables(&db).await, "every inventory table has an entity");
    db.close().await.unwrap();

    let db = Database::connect(&dbs.analytics).await.unwrap();
    let mut checked = Vec::new();
    check::<analytics::agg_orders_by_day::Entity>(&db, &mut checked).await;
    check::<analytics::agg_orders_by_status::Entity>(&db, &mut checked).await;
    check::<analytics::agg_sales_by_book::Entity>(&db, &mut checked).await;
    check::<analytics::agg_status::Entity>(&db, &mut checked).await;
    check::<analytics::cdc_deleted_key::Entity>(&db, &mut checked).await;
    check::<analytics::cdc_parse_error::Entity>(&db, &mut checked).await;
    check::<analytics::cdc_reconciliation::Entity>(&db, &mut checked).await;
    check::<analytics::dim_book::Entity>(&db, &mut checked).await;
    check::<analytics::fact_inventory::Entity>(&db, &mut checked).await;
    check::<analytics::fact_order::Entity>(&db, &mut checked).await;
    check::<analytics::fact_order_item::Entity>(&db, &mut checked).await;
    check::<analytics::materializer_freshness::Entity>(&db, &mut checked).await;
    check::<analytics::materializer_offset::Entity>(&db, &mut checked).await;
    check::<analytics::materializer_view_refresh::Entity>(&db, &mut checked).await;
    assert_eq!(sorted(checked), tables(&db).await, "every analytics table has an entity");
    db.close().await.unwrap();

    dbs.drop().await;
}
