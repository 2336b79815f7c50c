//! sea-orm entities, one module per table, grouped by the database that owns them; every table of every
//! database has one. `tests/schema.rs` migrates fresh databases and checks each entity against its table (columns,
//! types' nullability, primary key), so an entity cannot drift from the migrations.

pub mod ecom {
    //! Tables of the ecom database.
    pub mod book;
    pub mod cart_item;
    pub mod order;
    pub mod order_history;
    pub mod order_item;
    pub mod outbox_event;
}

pub mod inventory {
    //! Tables of the inventory database.
    pub mod reservation;
    pub mod stock;
}

pub mod analytics {
    //! Tables of the analytics database: the star schema, the view summaries and the materializer's bookkeeping.
    pub mod agg_orders_by_day;
    pub mod agg_orders_by_status;
    pub mod agg_sales_by_book;
    pub mod agg_status;
    pub mod cdc_deleted_key;
    pub mod cdc_parse_error;
    pub mod cdc_reconciliation;
    pub mod dim_book;
    pub mod fact_inventory;
    pub mod fact_order;
    pub mod fact_order_item;
    pub mod materializer_freshness;
    pub mod materializer_offset;
    pub mod materializer_view_refresh;
}
