-- The current definition of agg_orders_delta() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_orders_delta(added fact_orders[], removed fact_orders[])
 RETURNS void
 LANGUAGE sql
 SET enable_seqscan TO 'off'
AS $function$
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
$function$

;
