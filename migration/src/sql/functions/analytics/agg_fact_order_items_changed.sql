-- The current definition of agg_fact_order_items_changed() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_fact_order_items_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
END $function$

;
