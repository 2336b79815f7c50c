-- The summary triggers (ADR 006) join each statement's changed rows with the other fact table and must probe it by
-- index. While a table grows from empty (a replay, a first snapshot) its statistics lag behind and the planner
-- chose a sequential scan of the whole other table for every batch: O(history) per statement, 66 M rows read
-- during a 1 M-record replay. Sequential scans are off inside the two delta functions only.
ALTER FUNCTION agg_orders_delta(fact_orders[], fact_orders[]) SET enable_seqscan = off;
ALTER FUNCTION agg_items_delta(fact_order_items[], fact_order_items[]) SET enable_seqscan = off;
