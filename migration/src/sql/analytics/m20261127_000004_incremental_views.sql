-- Incremental analytics (ADR 006): the views no longer re-read the whole history. Three summary tables hold the
-- aggregates that grow with history (sales per book, orders per day, orders per status); statement-level triggers
-- on the fact tables apply each statement's delta (its transition tables) to them in the same transaction as the
-- facts. The vw_* names become plain views over the summaries and the small tables (books, stock), with the
-- columns they had. The orders and order-items streams commit separately and an item's sales count depends on
-- its order, so both triggers take one transaction-level advisory lock before reading the other table: the
-- second transaction then sees the first one's committed rows, and no sale is counted twice or lost.

DROP MATERIALIZED VIEW vw_product_sales_volume, vw_sales_over_time, vw_revenue_by_author, vw_revenue_by_genre,
    vw_order_status_distribution, vw_inventory_health, vw_avg_order_value, vw_top_books_by_revenue,
    vw_inventory_turnover, vw_book_price_distribution, vw_cdc_latency;

-- Sold items of orders that are not CANCELLED, per book (lines counts the item rows, so a book whose last sale
-- went away drops out of the views as it did from the GROUP BY).
CREATE TABLE agg_sales_by_book (
    book_id     uuid PRIMARY KEY,
    lines       bigint NOT NULL,
    units_sold  bigint NOT NULL,
    revenue     numeric NOT NULL
);

-- Orders that are not CANCELLED, per UTC day of creation.
CREATE TABLE agg_orders_by_day (
    sale_date    date PRIMARY KEY,
    order_count  bigint NOT NULL,
    revenue      numeric NOT NULL
);

-- All orders per status.
CREATE TABLE agg_orders_by_status (
    status       text PRIMARY KEY,
    order_count  bigint NOT NULL,
    revenue      numeric NOT NULL
);

-- Both sales triggers serialise on this lock (the key is arbitrary but fixed).
CREATE FUNCTION agg_lock() RETURNS void LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(5727001) $$;

-- Applies orders leaving (`removed`) and arriving (`added`) to the three summaries.
CREATE FUNCTION agg_orders_delta(added fact_orders[], removed fact_orders[]) RETURNS void LANGUAGE sql AS $$
    WITH d AS (
        SELECT r.order_id, r.status, r.total, r.created_at, 1 AS sign FROM unnest(added) r
        UNION ALL
        SELECT r.order_id, r.status, r.total, r.created_at, -1 FROM unnest(removed) r
    ), by_day AS (
        INSERT INTO agg_orders_by_day AS a (sale_date, order_count, revenue)
        SELECT (created_at AT TIME ZONE 'UTC')::date, sum(sign), sum(sign * total) FROM d
        WHERE status <> 'CANCELLED' GROUP BY 1
        ON CONFLICT (sale_date) DO UPDATE
        SET order_count = a.order_count + excluded.order_count, revenue = a.revenue + excluded.revenue
    ), by_status AS (
        INSERT INTO agg_orders_by_status AS a (status, order_count, revenue)
        SELECT status, sum(sign), sum(sign * total) FROM d GROUP BY 1
        ON CONFLICT (status) DO UPDATE
        SET order_count = a.order_count + excluded.order_count, revenue = a.revenue + excluded.revenue
    )
    INSERT INTO agg_sales_by_book AS a (book_id, lines, units_sold, revenue)
    SELECT i.book_id, sum(d.sign), sum(d.sign * i.quantity), sum(d.sign * i.quantity * i.price_at_purchase)
    FROM d JOIN fact_order_items i ON i.order_id = d.order_id
    WHERE d.status <> 'CANCELLED' GROUP BY i.book_id
    ON CONFLICT (book_id) DO UPDATE SET lines = a.lines + excluded.lines,
        units_sold = a.units_sold + excluded.units_sold, revenue = a.revenue + excluded.revenue;
$$;

-- Applies items leaving and arriving to the sales per book (only items of orders that count).
CREATE FUNCTION agg_items_delta(added fact_order_items[], removed fact_order_items[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO agg_sales_by_book AS a (book_id, lines, units_sold, revenue)
    SELECT d.book_id, sum(d.sign), sum(d.sign * d.quantity), sum(d.sign * d.quantity * d.price_at_purchase)
    FROM (
        SELECT r.order_id, r.book_id, r.quantity, r.price_at_purchase, 1 AS sign FROM unnest(added) r
        UNION ALL
        SELECT r.order_id, r.book_id, r.quantity, r.price_at_purchase, -1 FROM unnest(removed) r
    ) d
    JOIN fact_orders o ON o.order_id = d.order_id AND o.status <> 'CANCELLED'
    GROUP BY d.book_id
    ON CONFLICT (book_id) DO UPDATE SET lines = a.lines + excluded.lines,
        units_sold = a.units_sold + excluded.units_sold, revenue = a.revenue + excluded.revenue;
$$;

CREATE FUNCTION agg_fact_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

CREATE FUNCTION agg_fact_order_items_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER agg_insert AFTER INSERT ON fact_orders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_orders_changed();
CREATE TRIGGER agg_update AFTER UPDATE ON fact_orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_orders_changed();
CREATE TRIGGER agg_delete AFTER DELETE ON fact_orders REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_orders_changed();
CREATE TRIGGER agg_insert AFTER INSERT ON fact_order_items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_order_items_changed();
CREATE TRIGGER agg_update AFTER UPDATE ON fact_order_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_order_items_changed();
CREATE TRIGGER agg_delete AFTER DELETE ON fact_order_items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agg_fact_order_items_changed();

-- Recomputes the summaries from the facts (after a bulk load that bypassed the triggers, and in tests that
-- compare the incremental result with a full computation).
CREATE FUNCTION agg_rebuild() RETURNS void LANGUAGE sql AS $$
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
$$;
SELECT agg_rebuild();

CREATE VIEW vw_product_sales_volume AS
SELECT b.book_id, b.title, b.author, s.units_sold, s.revenue::numeric(14, 2) AS revenue
FROM agg_sales_by_book s JOIN dim_books b ON b.book_id = s.book_id
WHERE s.lines > 0;

CREATE VIEW vw_sales_over_time AS
SELECT sale_date, order_count, revenue::numeric(14, 2) AS daily_revenue
FROM agg_orders_by_day WHERE order_count > 0;

CREATE VIEW vw_revenue_by_author AS
SELECT b.author, sum(s.units_sold)::bigint AS units_sold, sum(s.revenue)::numeric(14, 2) AS revenue
FROM agg_sales_by_book s JOIN dim_books b ON b.book_id = s.book_id
WHERE s.lines > 0 GROUP BY b.author;

CREATE VIEW vw_revenue_by_genre AS
SELECT b.genre, sum(s.units_sold)::bigint AS units_sold, sum(s.revenue)::numeric(14, 2) AS revenue
FROM agg_sales_by_book s JOIN dim_books b ON b.book_id = s.book_id
WHERE s.lines > 0 GROUP BY b.genre;

CREATE VIEW vw_order_status_distribution AS
SELECT status, order_count, revenue::numeric(14, 2) AS total_revenue
FROM agg_orders_by_status WHERE order_count > 0;

CREATE VIEW vw_inventory_health AS
SELECT b.book_id, b.title, b.author,
       s.quantity AS stock_quantity,
       s.reserved,
       greatest(s.quantity - s.reserved, 0) AS available,
       CASE WHEN greatest(s.quantity - s.reserved, 0) = 0 THEN 'Critical'
            WHEN greatest(s.quantity - s.reserved, 0) <= 3 THEN 'Low'
            ELSE 'OK' END AS stock_status
FROM fact_inventory s
JOIN dim_books b ON b.book_id = s.book_id;

CREATE VIEW vw_avg_order_value AS
SELECT sale_date, order_count,
       round(revenue / order_count, 2)::numeric(14, 2) AS avg_order_value,
       revenue::numeric(14, 2) AS daily_revenue
FROM agg_orders_by_day WHERE order_count > 0;

CREATE VIEW vw_top_books_by_revenue AS
SELECT book_id, title, author, units_sold, total_revenue,
       rank() OVER (ORDER BY total_revenue DESC)::bigint AS revenue_rank
FROM (
    SELECT b.book_id, b.title, b.author, s.units_sold, s.revenue::numeric(14, 2) AS total_revenue
    FROM agg_sales_by_book s JOIN dim_books b ON b.book_id = s.book_id
    WHERE s.lines > 0
) sales;

CREATE VIEW vw_inventory_turnover AS
SELECT b.book_id, b.title, b.author,
       s.quantity AS current_stock,
       coalesce(sold.units_sold, 0)::bigint AS total_sold,
       CASE WHEN s.quantity = 0 THEN 0::numeric(10, 1)
            ELSE round(coalesce(sold.units_sold, 0) * 100.0 / s.quantity, 1)::numeric(10, 1) END AS turnover_rate_pct
FROM fact_inventory s
JOIN dim_books b ON b.book_id = s.book_id
LEFT JOIN agg_sales_by_book sold ON sold.book_id = s.book_id AND sold.lines > 0;

CREATE VIEW vw_book_price_distribution AS
SELECT band.price_range, band.band_order, count(b.book_id)::bigint AS book_count
FROM (VALUES ('Under $10', 1, 0.00, 10.00),
             ('$10–$19', 2, 10.00, 20.00),
             ('$20–$29', 3, 20.00, 30.00),
             ('$30–$49', 4, 30.00, 50.00),
             ('$50+', 5, 50.00, NULL)) AS band (price_range, band_order, low, high)
LEFT JOIN dim_books b ON b.price >= band.low AND (band.high IS NULL OR b.price < band.high)
GROUP BY band.price_range, band.band_order;

CREATE VIEW vw_cdc_latency AS
SELECT o.order_id, o.created_at, o.synced_at,
       round(extract(epoch FROM (o.synced_at - o.created_at))::numeric, 3) AS latency_seconds
FROM fact_orders o;
