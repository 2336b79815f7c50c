-- The current definition of agg_bulk_begin() in the analytics database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.agg_bulk_begin()
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM set_config('bookstore.defer_summaries', 'on', true);
    -- Parameter privileges exist from PostgreSQL 15; before, only a superuser may set the parameter.
    IF current_setting('server_version_num')::int < 150000 THEN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            RETURN false;
        END IF;
    ELSIF NOT has_parameter_privilege('session_replication_role', 'SET') THEN
        RETURN false;
    END IF;
    PERFORM agg_bulk_lock_shared();
    IF NOT (SELECT stale_since IS NOT NULL FROM agg_status) THEN
        RETURN false;
    END IF;
    PERFORM set_config('session_replication_role', 'replica', true);
    RETURN true;
END $function$

;
