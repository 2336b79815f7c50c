-- The inventory database: how many units of each book exist and how many are held by checkouts in flight.
-- `available = quantity - reserved` is derived, never stored. The CHECKs make overselling impossible even for a
-- buggy or concurrent writer: a reservation is an UPDATE that fails the constraint instead of going negative.

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE inventory (
    -- The book's id in the ecom database. No foreign key: the two databases belong to different services.
    book_id     uuid PRIMARY KEY,
    quantity    integer NOT NULL CHECK (quantity >= 0),
    reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventory_reserved_within_quantity CHECK (reserved <= quantity)
);
CREATE TRIGGER inventory_set_updated_at BEFORE UPDATE ON inventory FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Units held for one checkout. HELD rows expire; a sweeper releases them (abandoned checkout) or confirms them
-- (the order committed), so a crash between any two saga steps heals by itself.
CREATE TABLE reservations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    checkout_id  uuid NOT NULL,
    book_id      uuid NOT NULL REFERENCES inventory (book_id) ON DELETE CASCADE,
    quantity     integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    status       text NOT NULL DEFAULT 'HELD' CHECK (status IN ('HELD', 'CONFIRMED', 'RELEASED')),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reservations_checkout_book_key UNIQUE (checkout_id, book_id)
);
CREATE INDEX reservations_held_expiry_idx ON reservations (expires_at) WHERE status = 'HELD';
CREATE TRIGGER reservations_set_updated_at BEFORE UPDATE ON reservations FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- What change data capture reads (the embedded reader and Debezium Server alike).
CREATE PUBLICATION bookstore_cdc FOR TABLE inventory;
