-- The current definition of agg_deferred() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_deferred()
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF coalesce(current_setting('bookstore.defer_summaries', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    PERFORM agg_lock();
    RETURN (SELECT stale_since IS NOT NULL FROM agg_status);
END $function$

;
