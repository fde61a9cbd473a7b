-- The web chat widget: public inbox tokens, visitor sessions, attachments.

ALTER TABLE inboxes ADD COLUMN public_token TEXT;
CREATE UNIQUE INDEX inboxes_public_token ON inboxes (public_token);

ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

CREATE TABLE widget_sessions (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    inbox_id BIGINT NOT NULL REFERENCES inboxes(id),
    -- Set at the visitor's first message: a page view alone makes no contact.
    contact_id BIGINT REFERENCES contacts(id),
    visitor_name TEXT,
    visitor_email TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    verified BIGINT NOT NULL DEFAULT 0,
    customer_id TEXT,
    locale TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE attachments (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data {{BLOB}} NOT NULL,
    created_at BIGINT NOT NULL
);
