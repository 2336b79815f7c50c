-- The current definition of notify_cart_changed() in the ecom database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.notify_cart_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('cart_changed',
                      coalesce(NEW.user_id, OLD.user_id) || E'\t' || current_setting('application_name'));
    RETURN NULL;
END $function$

;
