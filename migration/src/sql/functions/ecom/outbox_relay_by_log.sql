-- The current definition of outbox_relay_by_log() in the ecom database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.outbox_relay_by_log()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    DELETE FROM outbox WHERE id = NEW.id;
    RETURN NULL;
END $function$

;
