-- The analytics database: a star schema fed only by change data capture (never by the shop directly), plus the
-- bookkeeping that makes the feed exactly-once in effect and auditable.

-- Dimension: one row per book as the catalog currently describes it.
CREATE TABLE dim_books (
    book_id         uuid PRIMARY KEY,
    title           text NOT NULL,
    author          text NOT NULL,
    price           numeric(10, 2) NOT NULL,
    genre           text NOT NULL DEFAULT '',
    isbn            text NOT NULL,
    published_year  integer,
    created_at      timestamptz,
    -- Position (LSN) of the change that produced this row: an older or replayed event never overwrites a newer one.
    source_lsn      bigint NOT NULL DEFAULT 0,
    synced_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fact_orders (
    order_id    uuid PRIMARY KEY,
    user_id     text NOT NULL,
    total       numeric(12, 2) NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL,
    source_lsn  bigint NOT NULL DEFAULT 0,
    synced_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_orders_created_idx ON fact_orders (created_at);

CREATE TABLE fact_order_items (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL,
    book_id            uuid NOT NULL,
    quantity           integer NOT NULL,
    price_at_purchase  numeric(10, 2) NOT NULL,
    source_lsn         bigint NOT NULL DEFAULT 0,
    synced_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fact_order_items_order_idx ON fact_order_items (order_id);
CREATE INDEX fact_order_items_book_idx ON fact_order_items (book_id);

CREATE TABLE fact_inventory (
    book_id     uuid PRIMARY KEY,
    quantity    integer NOT NULL,
    reserved    integer NOT NULL,
    updated_at  timestamptz NOT NULL,
    source_lsn  bigint NOT NULL DEFAULT 0,
    synced_at   timestamptz NOT NULL DEFAULT now()
);

-- Where each source has been read up to, committed in the same transaction as the rows it produced.
-- Kafka: one row per topic partition, position = next offset. Replication: partition 0, position = LSN.
CREATE TABLE materializer_offsets (
    source      text NOT NULL,
    partition   integer NOT NULL,
    position    bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, partition)
);

-- Records the materializer could not decode: kept with the reason and the raw bytes, never silently dropped.
CREATE TABLE cdc_parse_errors (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL,
    position     text NOT NULL,
    reason       text NOT NULL,
    raw_key      text,
    raw_payload  text,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per table per `bookstore reconcile` run: source versus analytics counts and sums.
CREATE TABLE cdc_reconciliation_log (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_at           timestamptz NOT NULL DEFAULT now(),
    table_name       text NOT NULL,
    source_count     bigint NOT NULL,
    analytics_count  bigint NOT NULL,
    source_sum       numeric,
    analytics_sum    numeric,
    drift            boolean NOT NULL
);
