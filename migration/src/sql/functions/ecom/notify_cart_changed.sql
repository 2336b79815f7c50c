-- The current definition of notify_cart_changed() in the ecom database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.notify_cart_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    -- A process alone on this database (the embedded default) has no other replica to tell, and says so with
    -- bookstore.cart_notify = off on its connections: its commits then skip NOTIFY's database-wide commit lock.
    IF current_setting('bookstore.cart_notify', true) = 'off' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('cart_changed',
                      coalesce(NEW.user_id, OLD.user_id) || E'\t' || current_setting('application_name'));
    RETURN NULL;
END $function$

;
