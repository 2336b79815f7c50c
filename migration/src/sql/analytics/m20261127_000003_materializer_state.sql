-- State the materializer keeps beside the star schema so that deletes, refreshes and freshness survive restarts
-- and are visible to every process (the API may run apart from the materializer).

-- The newest delete seen per key: an older or replayed insert/update of a deleted row never brings it back.
CREATE TABLE cdc_deleted_keys (
    table_name  text NOT NULL,
    key         uuid NOT NULL,
    source_lsn  bigint NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, key)
);

-- When each materialized view was last refreshed (GET /analytics/views/{name} reports it).
CREATE TABLE materializer_view_refreshes (
    view_name     text PRIMARY KEY,
    refreshed_at  timestamptz NOT NULL,
    duration_ms   bigint NOT NULL
);

-- Per analytics table: the commit time of the newest source change applied and when it arrived
-- (GET /analytics/freshness).
CREATE TABLE materializer_freshness (
    table_name        text PRIMARY KEY,
    source_commit_at  timestamptz NOT NULL,
    arrived_at        timestamptz NOT NULL
);
