-- Bulk loads may defer the summaries (ADR 006, "Bulk loads"). Applying each batch's delta costs per batch what a
-- single `agg_rebuild()` costs per row several times over; when a replay brings at least as many rows as the
-- facts already hold, rebuilding once at the end is cheaper. The summaries are then marked stale for the whole
-- load, in a committed row, so that a load that dies half-way is noticed and repaired (the materializer rebuilds
-- stale summaries when it starts; the next replay rebuilds them at its end).
CREATE TABLE agg_status (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- When a bulk load began deferring the summaries; NULL while they are current.
    stale_since  timestamptz
);
INSERT INTO agg_status (only_row, stale_since) VALUES (true, NULL);

-- Whether this statement may skip its delta: only in a session that asked to defer (`bookstore.defer_summaries`)
-- and while the summaries are marked stale, so a session setting alone can never make them wrong. Takes the
-- summaries' lock like a delta would: a rebuild running meanwhile either waits for this transaction to commit
-- (and then counts its rows) or went first and cleared the mark (and then this statement applies its delta).
CREATE FUNCTION agg_deferred() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('bookstore.defer_summaries', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    PERFORM agg_lock();
    RETURN (SELECT stale_since IS NOT NULL FROM agg_status);
END $$;

CREATE OR REPLACE FUNCTION agg_fact_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF agg_deferred() THEN
        RETURN NULL;
    END IF;
    PERFORM agg_lock();
    IF TG_OP = 'INSERT' THEN
        PERFORM agg_orders_delta(ARRAY(SELECT n::fact_orders FROM new_rows n), '{}'::fact_orders[]);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM agg_orders_delta(ARRAY(SELECT n::fact_orders FROM new_rows n), ARRAY(SELECT o::fact_orders FROM old_rows o));
    ELSE
        PERFORM agg_orders_delta('{}'::fact_orders[], ARRAY(SELECT o::fact_orders FROM old_rows o));
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION agg_fact_order_items_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF agg_deferred() THEN
        RETURN NULL;
    END IF;
    PERFORM agg_lock();
    IF TG_OP = 'INSERT' THEN
        PERFORM agg_items_delta(ARRAY(SELECT n::fact_order_items FROM new_rows n), '{}'::fact_order_items[]);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM agg_items_delta(ARRAY(SELECT n::fact_order_items FROM new_rows n), ARRAY(SELECT o::fact_order_items FROM old_rows o));
    ELSE
        PERFORM agg_items_delta('{}'::fact_order_items[], ARRAY(SELECT o::fact_order_items FROM old_rows o));
    END IF;
    RETURN NULL;
END $$;

-- Marks the summaries stale before a bulk load defers them (its own transaction, committed first).
CREATE FUNCTION agg_defer() RETURNS void LANGUAGE sql AS $$
    UPDATE agg_status SET stale_since = coalesce(stale_since, clock_timestamp());
$$;

-- The rebuild now also clears the stale mark, in the same transaction as the recomputed summaries.
CREATE OR REPLACE FUNCTION agg_rebuild() RETURNS void LANGUAGE sql AS $$
    SELECT agg_lock();
    DELETE FROM agg_sales_by_book;
    DELETE FROM agg_orders_by_day;
    DELETE FROM agg_orders_by_status;
    INSERT INTO agg_sales_by_book (book_id, lines, units_sold, revenue)
    SELECT i.book_id, count(*), sum(i.quantity), sum(i.quantity * i.price_at_purchase)
    FROM fact_order_items i JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
    GROUP BY i.book_id;
    INSERT INTO agg_orders_by_day (sale_date, order_count, revenue)
    SELECT (created_at AT TIME ZONE 'UTC')::date, count(*), sum(total) FROM fact_orders
    WHERE status <> 'CANCELLED' GROUP BY 1;
    INSERT INTO agg_orders_by_status (status, order_count, revenue)
    SELECT status, count(*), sum(total) FROM fact_orders GROUP BY 1;
    UPDATE agg_status SET stale_since = NULL;
$$;
