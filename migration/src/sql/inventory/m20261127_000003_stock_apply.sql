-- One book's batch of reservation work as one call (ADR 008). The Reservation actor sends everything that queued
-- for a book while the previous batch ran: settlements (confirm = sold, release = given back) and new holds, first
-- come first served. Before, that was a transaction of four statements (and five round trips) writing the stock
-- row twice; now it is one statement in its own transaction, and the stock row gets one new version per batch.
--
-- The decision is still taken under the stock row's lock and the CHECKs of `inventory` still stand guard, so it
-- stays correct with other processes working on the same book.
--
-- Returns one row per settled reservation (kind 'settled': checkout, confirm, units) and one per hold, in the
-- (kind 'hold': checkout, granted, and its position among the holds asked, from 1).
CREATE FUNCTION stock_apply(
    p_book_id uuid,
    settle_checkouts uuid[], settle_confirms boolean[],
    hold_checkouts uuid[], hold_quantities integer[], hold_expiries timestamptz[]
) RETURNS TABLE (kind text, checkout_id uuid, confirm boolean, units integer, granted boolean, hold_index bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    available integer;
    sold integer := 0;   -- units leaving the stock (confirmed)
    freed integer := 0;  -- units no longer reserved (confirmed or released)
    held integer := 0;   -- units newly reserved
    grants boolean[] := '{}';
    settled_checkouts uuid[];
    settled_confirms boolean[];
    settled_units integer[];
    i integer;
BEGIN
    SELECT s.quantity - s.reserved INTO available FROM inventory s WHERE s.book_id = p_book_id FOR UPDATE;
    IF NOT FOUND THEN
        -- No stock row: no reservation can exist (they cascade with it), and nothing can be held.
        RETURN QUERY SELECT 'hold', h.checkout_id, NULL::boolean, NULL::integer, false, h.n
            FROM unnest(hold_checkouts) WITH ORDINALITY AS h(checkout_id, n);
        RETURN;
    END IF;

    WITH settled AS (
        UPDATE reservations r
        SET status = CASE WHEN a.confirm THEN 'CONFIRMED' ELSE 'RELEASED' END
        FROM unnest(settle_checkouts, settle_confirms) AS a(checkout_id, confirm)
        WHERE r.book_id = p_book_id AND r.checkout_id = a.checkout_id AND r.status = 'HELD'
        RETURNING r.checkout_id, a.confirm, r.quantity)
    SELECT coalesce(array_agg(s.checkout_id), '{}'), coalesce(array_agg(s.confirm), '{}'),
           coalesce(array_agg(s.quantity), '{}'),
           coalesce(sum(s.quantity) FILTER (WHERE s.confirm), 0), coalesce(sum(s.quantity), 0)
    INTO settled_checkouts, settled_confirms, settled_units, sold, freed
    FROM settled s;
    available := available + freed - sold;

    FOR i IN 1 .. coalesce(cardinality(hold_quantities), 0) LOOP
        IF hold_quantities[i] > 0 AND hold_quantities[i] <= available THEN
            grants := grants || true;
            available := available - hold_quantities[i];
            held := held + hold_quantities[i];
        ELSE
            grants := grants || false;
        END IF;
    END LOOP;
    INSERT INTO reservations (checkout_id, book_id, quantity, expires_at)
    SELECT h.checkout_id, p_book_id, h.quantity, h.expires_at
    FROM unnest(hold_checkouts, hold_quantities, hold_expiries, grants) AS h(checkout_id, quantity, expires_at, ok)
    WHERE h.ok;

    IF sold <> 0 OR freed <> 0 OR held <> 0 THEN
        UPDATE inventory
        SET quantity = quantity - sold, reserved = reserved - freed + held
        WHERE book_id = p_book_id;
    END IF;

    RETURN QUERY
        SELECT 'settled', x.checkout_id, x.confirm, x.units, NULL::boolean, NULL::bigint
        FROM unnest(settled_checkouts, settled_confirms, settled_units) AS x(checkout_id, confirm, units)
        UNION ALL
        SELECT 'hold', h.checkout_id, NULL, NULL, h.ok, h.n
        FROM unnest(hold_checkouts, grants) WITH ORDINALITY AS h(checkout_id, ok, n);
END $$;
