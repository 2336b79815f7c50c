-- What the views count, where anyone reading the database (Superset, psql) finds it. Orders move after checkout
-- (SHIPPED, DELIVERED, CANCELLED); a status change reaches fact_orders like any other change, and the summaries
-- behind the views follow it in the same transaction (ADR 006).
COMMENT ON VIEW vw_product_sales_volume IS
    'Per book: units sold and revenue. Sold and revenue count the lines of every order that is not CANCELLED (CONFIRMED, SHIPPED, DELIVERED), at the price paid; a cancelled order leaves them.';
COMMENT ON VIEW vw_sales_over_time IS
    'Per UTC day of ordering: orders and revenue (order totals) of every order that is not CANCELLED.';
COMMENT ON VIEW vw_revenue_by_author IS
    'Per author: units sold and revenue of the lines of orders that are not CANCELLED.';
COMMENT ON VIEW vw_revenue_by_genre IS
    'Per genre: units sold and revenue of the lines of orders that are not CANCELLED.';
COMMENT ON VIEW vw_order_status_distribution IS
    'Per status, every order (cancelled ones included): how many, and the sum of their totals (total_revenue is that sum, not revenue in the sense of the other views).';
COMMENT ON VIEW vw_avg_order_value IS
    'Per UTC day of ordering: orders that are not CANCELLED, their average total and their revenue.';
COMMENT ON VIEW vw_top_books_by_revenue IS
    'Books ranked by revenue: the lines of orders that are not CANCELLED, at the price paid.';
COMMENT ON VIEW vw_inventory_turnover IS
    'Per stocked book: units on hand and units sold in orders that are not CANCELLED (a cancelled order''s units are back on hand).';
