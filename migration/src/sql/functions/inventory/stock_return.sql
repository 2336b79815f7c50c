-- The current definition of stock_return() in the inventory database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.stock_return(p_book_id uuid, p_checkouts uuid[])
 RETURNS TABLE(checkout_id uuid, units integer, returned boolean)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM inventory s WHERE s.book_id = p_book_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
        WITH settled AS (
            UPDATE reservations r
            SET status = CASE r.status WHEN 'CONFIRMED' THEN 'RETURNED' ELSE 'RELEASED' END
            WHERE r.book_id = p_book_id AND r.checkout_id = ANY(p_checkouts) AND r.status IN ('CONFIRMED', 'HELD')
            RETURNING r.checkout_id, r.quantity, r.status = 'RETURNED' AS returned
        ), totals AS (
            UPDATE inventory s
            SET quantity = s.quantity + (SELECT coalesce(sum(x.quantity), 0) FROM settled x WHERE x.returned),
                reserved = s.reserved - (SELECT coalesce(sum(x.quantity), 0) FROM settled x WHERE NOT x.returned)
            WHERE s.book_id = p_book_id AND EXISTS (SELECT 1 FROM settled)
        )
        SELECT x.checkout_id, x.quantity, x.returned FROM settled x;
END $function$

;
