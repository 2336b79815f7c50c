-- The ecom database: the catalog, shoppers' carts, orders and the outbox that publishes order events.
-- Money is NUMERIC (never float), ids are UUIDs, times carry their zone. Every rule the shop depends on is a
-- constraint here, so no code path (admin console, script, psql) can store a row the shop cannot handle.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE books (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title           text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    author          text NOT NULL CHECK (length(btrim(author)) BETWEEN 1 AND 300),
    price           numeric(10, 2) NOT NULL CHECK (price >= 0),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    cover_url       text CHECK (length(cover_url) <= 2000),
    isbn            text NOT NULL CHECK (isbn ~ '^[0-9][0-9-]{8,15}[0-9X]$'),
    genre           text NOT NULL DEFAULT '' CHECK (length(genre) <= 100),
    published_year  integer CHECK (published_year BETWEEN 1000 AND 9999),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- One book per ISBN, whether or not it was typed with hyphens.
CREATE UNIQUE INDEX books_isbn_key ON books ((replace(isbn, '-', '')));
-- Stable pages for every sort key the API offers (the id breaks ties).
CREATE INDEX books_title_idx ON books (title, id);
CREATE INDEX books_author_idx ON books (author, id);
CREATE INDEX books_price_idx ON books (price, id);
CREATE INDEX books_published_year_idx ON books (published_year, id);
CREATE INDEX books_created_at_idx ON books (created_at, id);
-- Substring search over title, author, genre and ISBN (with and without hyphens). The unit separator (U+001F)
-- keeps a match from spanning two fields; the API rejects control characters in queries.
CREATE INDEX books_search_idx ON books USING gin (
    (lower(title || E'\x1f' || author || E'\x1f' || genre || E'\x1f' || isbn || E'\x1f' || replace(isbn, '-', '')))
    gin_trgm_ops
);
CREATE TRIGGER books_set_updated_at BEFORE UPDATE ON books FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Every process caches catalog reads; a change from any process (or psql) tells all of them to drop the cache.
CREATE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_changed', TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER books_notify_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON books
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();

CREATE TABLE cart_items (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 255),
    book_id     uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cart_items_user_book_key UNIQUE (user_id, book_id)
);
CREATE TRIGGER cart_items_set_updated_at BEFORE UPDATE ON cart_items FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE orders (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 255),
    total            numeric(12, 2) NOT NULL CHECK (total >= 0),
    status           text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 64),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- A retried checkout with the same key finds the first order instead of making a second one.
    CONSTRAINT orders_user_idempotency_key UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id);
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE order_items (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id           uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- RESTRICT: a book that was sold cannot be deleted (the admin console answers 409).
    book_id            uuid NOT NULL REFERENCES books (id) ON DELETE RESTRICT,
    quantity           integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    price_at_purchase  numeric(10, 2) NOT NULL CHECK (price_at_purchase >= 0),
    CONSTRAINT order_items_order_book_key UNIQUE (order_id, book_id)
);
CREATE INDEX order_items_book_idx ON order_items (book_id);

-- Events written in the same transaction as the order they describe: no lost or phantom `order.created`.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    aggregate_type  text NOT NULL,
    aggregate_id    uuid NOT NULL,
    event_type      text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- What change data capture reads (the embedded reader and Debezium Server alike).
CREATE PUBLICATION bookstore_cdc FOR TABLE books, orders, order_items;
