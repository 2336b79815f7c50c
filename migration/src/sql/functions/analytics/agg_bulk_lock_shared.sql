-- The current definition of agg_bulk_lock_shared() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_bulk_lock_shared()
 RETURNS void
 LANGUAGE sql
AS $function$ SELECT pg_advisory_xact_lock_shared(5727002) $function$

;
