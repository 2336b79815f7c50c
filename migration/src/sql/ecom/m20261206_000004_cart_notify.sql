-- Carts across processes. Every `bookstore serve` process keeps a copy of its live shoppers' carts (the
-- CartSession actors, ADR 005). A change to a cart from any connection tells every process which shopper's cart
-- changed and which process changed it (its `application_name`), so the other processes' copies are refreshed
-- before a checkout starts from them. NOTIFY is delivered on commit, to every listener; identical notifications of
-- one transaction are sent once.
CREATE FUNCTION notify_cart_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cart_changed',
                      coalesce(NEW.user_id, OLD.user_id) || E'\t' || current_setting('application_name'));
    RETURN NULL;
END $$;
CREATE TRIGGER cart_items_notify_cart_changed AFTER INSERT OR UPDATE OR DELETE ON cart_items
    FOR EACH ROW EXECUTE FUNCTION notify_cart_changed();

-- A TRUNCATE changes every cart: an empty shopper name stands for all of them.
CREATE FUNCTION notify_carts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cart_changed', E'\t' || current_setting('application_name'));
    RETURN NULL;
END $$;
CREATE TRIGGER cart_items_notify_truncated AFTER TRUNCATE ON cart_items
    FOR EACH STATEMENT EXECUTE FUNCTION notify_carts_truncated();
