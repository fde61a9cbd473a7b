-- The shop's orders, and the connector to the shop's order system.
-- An order keeps the customer's identities in normal form (email, E.164
-- phone, shop customer id); its contact is whoever owns one of them, found
-- when read, so an order that arrives before its contact links later.
-- Amounts are decimal TEXT with two places, items a JSON array.

CREATE TABLE orders (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    number TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    customer_id TEXT,
    status TEXT NOT NULL,
    carrier TEXT,
    tracking_code TEXT,
    tracking_url TEXT,
    expected_delivery TEXT,
    total TEXT,
    currency TEXT,
    postcode TEXT,
    items TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, number)
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_email ON orders (account_id, email);
CREATE INDEX orders_phone ON orders (account_id, phone);
CREATE INDEX orders_customer ON orders (account_id, customer_id);

-- One connector per account (Shopify or WooCommerce); credentials are a
-- JSON object that the API never returns.
CREATE TABLE commerce_connectors (
    id {{ID}},
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts(id),
    kind TEXT NOT NULL,
    base_url TEXT NOT NULL,
    credentials TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
