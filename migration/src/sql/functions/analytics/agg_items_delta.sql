-- The current definition of agg_items_delta() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_items_delta(added fact_order_items[], removed fact_order_items[])
 RETURNS void
 LANGUAGE sql
 SET enable_seqscan TO 'off'
AS $function$
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
$function$

;
