-- Knowledge base: help articles an admin writes in Dutch, English or both,
-- which the self-service bot searches to answer customers. A language is
-- there when its title and body both are (the services check that at
-- least one is). `keywords` is free text both languages share (synonyms,
-- the other language's words); `published` is a 0/1 flag, drafts are never
-- searched.

CREATE TABLE knowledge_articles (
    id {{ID}},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    title_nl TEXT,
    body_nl TEXT,
    title_en TEXT,
    body_en TEXT,
    keywords TEXT,
    published BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX knowledge_articles_account ON knowledge_articles (account_id, id);
