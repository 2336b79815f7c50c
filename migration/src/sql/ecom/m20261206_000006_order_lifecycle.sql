-- Orders move after checkout: CONFIRMED → SHIPPED → DELIVERED by an admin, or CONFIRMED → CANCELLED by the shopper
-- who owns the order or by an admin. Each move is one transaction: the order's new status, one `order_history` line
-- (who, when, why) and one outbox event (`order.shipped`, `order.delivered`, `order.cancelled`).

-- What a shipment adds to the order, and when a cancelled order's units were put back in stock: a cancel commits
-- here first, the units return in the inventory database after; until `stock_returned_at` is set, the reservation
-- sweeper finishes the return (ADR 005).
ALTER TABLE orders
    ADD COLUMN carrier text CHECK (length(btrim(carrier)) BETWEEN 1 AND 100),
    ADD COLUMN tracking_number text CHECK (length(btrim(tracking_number)) BETWEEN 1 AND 100),
    ADD COLUMN stock_returned_at timestamptz,
    ADD CONSTRAINT orders_stock_returned_only_when_cancelled CHECK (stock_returned_at IS NULL OR status = 'CANCELLED');
CREATE INDEX orders_stock_return_pending_idx ON orders (updated_at) WHERE status = 'CANCELLED' AND stock_returned_at IS NULL;
-- The admin console lists orders by status, newest first.
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id);

-- Every move after the order was placed. The placing itself is the order row (created_at, user_id): keeping it
-- there spares each checkout an insert, and the timeline starts with it.
CREATE TABLE order_history (
    id          uuid PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    -- Who moved it: the shopper's or the admin's user id.
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 255),
    note        text CHECK (length(note) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_history_order_idx ON order_history (order_id, created_at, id);
