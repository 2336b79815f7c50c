-- A cancelled order's units go back to stock through the reservations that took them, once: a CONFIRMED
-- reservation becomes RETURNED and its units are added back to `quantity`; one still HELD (the order committed but
-- its confirmation had not run yet) is RELEASED, which frees its units from `reserved`. A reservation in any other
-- state was already settled this way, so a retried, raced or resumed return changes nothing.
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('HELD', 'CONFIRMED', 'RELEASED', 'RETURNED'));

-- Gives back what the given checkouts (orders) hold or bought of one book. The stock row is locked first, as
-- stock_apply() does, so the two never wait for each other in opposite order. Returns what each checkout gave back.
CREATE FUNCTION stock_return(p_book_id uuid, p_checkouts uuid[])
RETURNS TABLE (checkout_id uuid, units integer, returned boolean)
LANGUAGE plpgsql AS $$
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
END $$;
