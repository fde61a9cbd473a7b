-- What a shop teaches and tells its self-service bot: settings (the
-- order-number pattern, the trained model's version), its own answer texts
-- replacing the built-in ones, and its own training examples.

CREATE TABLE bot_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    order_number_pattern TEXT,
    -- Bumped by each retrain; a node whose cached model is older retrains.
    model_version BIGINT NOT NULL DEFAULT 0,
    trained_at BIGINT,
    -- When examples last changed: newer than trained_at means "retrain".
    examples_changed_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE bot_answers (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    answer_key TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, answer_key, language)
);

CREATE TABLE bot_examples (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    intent TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bot_examples_account ON bot_examples (account_id, intent, id);

-- Reports read events of some kinds in a period.
CREATE INDEX events_account_kind ON events (account_id, kind, created_at);
