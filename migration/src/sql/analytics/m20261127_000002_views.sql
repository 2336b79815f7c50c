-- The business views of API.md, as materialized views over the star schema. Each has a unique index so it can be
-- refreshed CONCURRENTLY (readers never wait). "Sold" counts only orders whose status is not CANCELLED.

CREATE MATERIALIZED VIEW vw_product_sales_volume AS
SELECT b.book_id, b.title, b.author,
       sum(i.quantity)::bigint AS units_sold,
       sum(i.quantity * i.price_at_purchase)::numeric(14, 2) AS revenue
FROM fact_order_items i
JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
JOIN dim_books b ON b.book_id = i.book_id
GROUP BY b.book_id, b.title, b.author;
CREATE UNIQUE INDEX vw_product_sales_volume_key ON vw_product_sales_volume (book_id);

CREATE MATERIALIZED VIEW vw_sales_over_time AS
SELECT (o.created_at AT TIME ZONE 'UTC')::date AS sale_date,
       count(*)::bigint AS order_count,
       sum(o.total)::numeric(14, 2) AS daily_revenue
FROM fact_orders o
WHERE o.status <> 'CANCELLED'
GROUP BY 1;
CREATE UNIQUE INDEX vw_sales_over_time_key ON vw_sales_over_time (sale_date);

CREATE MATERIALIZED VIEW vw_revenue_by_author AS
SELECT b.author,
       sum(i.quantity)::bigint AS units_sold,
       sum(i.quantity * i.price_at_purchase)::numeric(14, 2) AS revenue
FROM fact_order_items i
JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
JOIN dim_books b ON b.book_id = i.book_id
GROUP BY b.author;
CREATE UNIQUE INDEX vw_revenue_by_author_key ON vw_revenue_by_author (author);

CREATE MATERIALIZED VIEW vw_revenue_by_genre AS
SELECT b.genre,
       sum(i.quantity)::bigint AS units_sold,
       sum(i.quantity * i.price_at_purchase)::numeric(14, 2) AS revenue
FROM fact_order_items i
JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
JOIN dim_books b ON b.book_id = i.book_id
GROUP BY b.genre;
CREATE UNIQUE INDEX vw_revenue_by_genre_key ON vw_revenue_by_genre (genre);

CREATE MATERIALIZED VIEW vw_order_status_distribution AS
SELECT o.status,
       count(*)::bigint AS order_count,
       sum(o.total)::numeric(14, 2) AS total_revenue
FROM fact_orders o
GROUP BY o.status;
CREATE UNIQUE INDEX vw_order_status_distribution_key ON vw_order_status_distribution (status);

CREATE MATERIALIZED VIEW vw_inventory_health AS
SELECT b.book_id, b.title, b.author,
       s.quantity AS stock_quantity,
       s.reserved,
       greatest(s.quantity - s.reserved, 0) AS available,
       CASE WHEN greatest(s.quantity - s.reserved, 0) = 0 THEN 'Critical'
            WHEN greatest(s.quantity - s.reserved, 0) <= 3 THEN 'Low'
            ELSE 'OK' END AS stock_status
FROM fact_inventory s
JOIN dim_books b ON b.book_id = s.book_id;
CREATE UNIQUE INDEX vw_inventory_health_key ON vw_inventory_health (book_id);

CREATE MATERIALIZED VIEW vw_avg_order_value AS
SELECT (o.created_at AT TIME ZONE 'UTC')::date AS sale_date,
       count(*)::bigint AS order_count,
       round(avg(o.total), 2)::numeric(14, 2) AS avg_order_value,
       sum(o.total)::numeric(14, 2) AS daily_revenue
FROM fact_orders o
WHERE o.status <> 'CANCELLED'
GROUP BY 1;
CREATE UNIQUE INDEX vw_avg_order_value_key ON vw_avg_order_value (sale_date);

CREATE MATERIALIZED VIEW vw_top_books_by_revenue AS
SELECT book_id, title, author, units_sold, total_revenue,
       rank() OVER (ORDER BY total_revenue DESC)::bigint AS revenue_rank
FROM (
    SELECT b.book_id, b.title, b.author,
           sum(i.quantity)::bigint AS units_sold,
           sum(i.quantity * i.price_at_purchase)::numeric(14, 2) AS total_revenue
    FROM fact_order_items i
    JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
    JOIN dim_books b ON b.book_id = i.book_id
    GROUP BY b.book_id, b.title, b.author
) sales;
CREATE UNIQUE INDEX vw_top_books_by_revenue_key ON vw_top_books_by_revenue (book_id);

CREATE MATERIALIZED VIEW vw_inventory_turnover AS
SELECT b.book_id, b.title, b.author,
       s.quantity AS current_stock,
       coalesce(sold.units, 0)::bigint AS total_sold,
       CASE WHEN s.quantity = 0 THEN 0::numeric(10, 1)
            ELSE round(coalesce(sold.units, 0) * 100.0 / s.quantity, 1)::numeric(10, 1) END AS turnover_rate_pct
FROM fact_inventory s
JOIN dim_books b ON b.book_id = s.book_id
LEFT JOIN (
    SELECT i.book_id, sum(i.quantity) AS units
    FROM fact_order_items i
    JOIN fact_orders o ON o.order_id = i.order_id AND o.status <> 'CANCELLED'
    GROUP BY i.book_id
) sold ON sold.book_id = s.book_id;
CREATE UNIQUE INDEX vw_inventory_turnover_key ON vw_inventory_turnover (book_id);

CREATE MATERIALIZED VIEW vw_book_price_distribution AS
SELECT band.price_range, band.band_order, count(b.book_id)::bigint AS book_count
FROM (VALUES ('Under $10', 1, 0.00, 10.00),
             ('$10–$19', 2, 10.00, 20.00),
             ('$20–$29', 3, 20.00, 30.00),
             ('$30–$49', 4, 30.00, 50.00),
             ('$50+', 5, 50.00, NULL)) AS band (price_range, band_order, low, high)
LEFT JOIN dim_books b ON b.price >= band.low AND (band.high IS NULL OR b.price < band.high)
GROUP BY band.price_range, band.band_order;
CREATE UNIQUE INDEX vw_book_price_distribution_key ON vw_book_price_distribution (price_range);

-- How long an order took from its commit in ecom to its arrival in analytics.
CREATE MATERIALIZED VIEW vw_cdc_latency AS
SELECT o.order_id, o.created_at, o.synced_at,
       round(extract(epoch FROM (o.synced_at - o.created_at))::numeric, 3) AS latency_seconds
FROM fact_orders o;
CREATE UNIQUE INDEX vw_cdc_latency_key ON vw_cdc_latency (order_id);
