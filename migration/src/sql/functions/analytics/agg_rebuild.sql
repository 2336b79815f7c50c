-- The current definition of agg_rebuild() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_rebuild()
 RETURNS void
 LANGUAGE sql
AS $function$
    SELECT pg_advisory_xact_lock(5727002);
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
$function$

;
