-- Canned responses: texts an admin writes once and agents insert in a
-- reply, with variables such as {{contact.first_name}} filled in when
-- inserted. `code` is the short name agents type (`levertijd`), unique per
-- account; `language` is 'nl', 'en' or NULL for any language.

CREATE TABLE canned_responses (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    language TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, code)
);
