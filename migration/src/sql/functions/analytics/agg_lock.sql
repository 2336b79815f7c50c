-- The current definition of agg_lock() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_lock()
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT pg_advisory_xact_lock(5727001) $function$

;
