-- The current definition of stock_apply() in the inventory database, as the migrations left it. Loaded by the newest
-- functions migration (migration/src/lib.rs); tests/functions.rs checks the database holds exactly this.
CREATE OR REPLACE FUNCTION public.stock_apply(p_book_id uuid, settle_checkouts uuid[], settle_confirms boolean[], hold_checkouts uuid[], hold_quantities integer[], hold_expiries timestamp with time zone[])
 RETURNS TABLE(kind text, checkout_id uuid, confirm boolean, units integer, granted boolean, hold_index bigint)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
    available integer;
    sold integer := 0;   -- units leaving the stock (confirmed)
    freed integer := 0;  -- units no longer reserved (confirmed or released)
    held integer := 0;   -- units newly reserved
    grants boolean[] := '{}';
    settled_checkouts uuid[] := '{}';
    settled_confirms boolean[] := '{}';
    settled_units integer[] := '{}';
    found_row tid;
    found_status text;
    found_quantity integer;
    i integer;
BEGIN
    SELECT s.quantity - s.reserved INTO available FROM inventory s WHERE s.book_id = p_book_id FOR UPDATE;
    IF NOT FOUND THEN
        -- No stock row: no reservation can exist (they cascade with it), and nothing can be held.
        RETURN QUERY SELECT 'hold', h.checkout_id, NULL::boolean, NULL::integer, false, h.n
            FROM unnest(hold_checkouts) WITH ORDINALITY AS h(checkout_id, n);
        RETURN;
    END IF;

    -- Settlements: only a HELD reservation is settled, once; anything else (already settled, never held) is
    -- left alone and not reported.
    FOR i IN 1 .. coalesce(cardinality(settle_checkouts), 0) LOOP
        SELECT r.ctid, r.status, r.quantity INTO found_row, found_status, found_quantity
        FROM reservations r
        WHERE r.checkout_id = settle_checkouts[i] AND r.book_id = p_book_id
        FOR UPDATE;
        CONTINUE WHEN NOT FOUND OR found_status <> 'HELD';
        UPDATE reservations r
        SET status = CASE WHEN settle_confirms[i] THEN 'CONFIRMED' ELSE 'RELEASED' END
        WHERE r.ctid = found_row;
        settled_checkouts := settled_checkouts || settle_checkouts[i];
        settled_confirms := settled_confirms || settle_confirms[i];
        settled_units := settled_units || found_quantity;
        freed := freed + found_quantity;
        IF settle_confirms[i] THEN
            sold := sold + found_quantity;
        END IF;
    END LOOP;
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
END $function$

;
