-- Only orders placed with an Idempotency-Key need the uniqueness check, and most orders have none: a partial
-- unique index spares every keyless order one index entry (its insert is the hottest statement of a checkout).
-- Same guarantee: two orders of one user can never share a key.
ALTER TABLE orders DROP CONSTRAINT orders_user_idempotency_key;
CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
