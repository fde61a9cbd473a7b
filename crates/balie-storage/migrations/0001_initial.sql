-- Balie's schema, shared by SQLite and PostgreSQL. `{{ID}}` becomes each
-- backend's auto-increment primary key; everything else is common SQL.
-- Times are milliseconds since the Unix epoch; flags are 0/1 BIGINTs;
-- JSON is TEXT.

CREATE TABLE accounts (
    id {{ID}},
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT,
    presence TEXT NOT NULL DEFAULT 'offline',
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, email)
);
CREATE INDEX agents_email ON agents (email);

CREATE TABLE api_tokens (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE teams (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE inboxes (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE contacts (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    merged_into_id BIGINT REFERENCES contacts(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, id);

CREATE TABLE contact_identities (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

CREATE TABLE contact_merges (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    target_contact_id BIGINT NOT NULL REFERENCES contacts(id),
    source_contact_id BIGINT NOT NULL REFERENCES contacts(id),
    moved_identity_ids TEXT NOT NULL,
    moved_conversation_ids TEXT NOT NULL,
    merged_by BIGINT,
    created_at BIGINT NOT NULL,
    split_at BIGINT
);

CREATE TABLE conversations (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    inbox_id BIGINT REFERENCES inboxes(id),
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    assignee_id BIGINT REFERENCES agents(id),
    team_id BIGINT REFERENCES teams(id) ON DELETE SET NULL,
    labels TEXT NOT NULL DEFAULT '[]',
    subject TEXT,
    last_channel TEXT,
    last_message_at BIGINT,
    snoozed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_account ON conversations (account_id, id);
CREATE INDEX conversations_contact ON conversations (contact_id, id);

CREATE TABLE messages (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL,
    author_type TEXT NOT NULL,
    author_id BIGINT,
    channel TEXT NOT NULL,
    inbox_id BIGINT REFERENCES inboxes(id),
    text TEXT NOT NULL,
    external_id TEXT,
    delivery_status TEXT NOT NULL,
    private BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, channel, external_id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE events (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    conversation_id BIGINT,
    contact_id BIGINT,
    actor_type TEXT NOT NULL,
    actor_id BIGINT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_account ON events (account_id, id);
