-- The current definition of agg_defer() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_defer()
 RETURNS void
 LANGUAGE sql
AS $function$
    UPDATE agg_status SET stale_since = coalesce(stale_since, clock_timestamp());
$function$

;
