-- The current definition of notify_carts_truncated() in the ecom database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.notify_carts_truncated()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('cart_changed', E'\t' || current_setting('application_name'));
    RETURN NULL;
END $function$

;
