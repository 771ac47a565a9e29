-- +goose Up
-- Knowledge base articles (package knowledge). The columns are what the
-- store filters on; doc holds the owner's full JSON document. Version 20
-- leaves room for the migrations other branches add meanwhile.
CREATE TABLE kb_articles (
    id         TEXT PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
    lang       TEXT NOT NULL,
    status     TEXT NOT NULL,
    version    BIGINT NOT NULL CHECK (version > 0),
    editor     TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX kb_articles_status ON kb_articles (status, id);

-- Every saved version, for history, diff and restore.
CREATE TABLE kb_article_versions (
    article_id TEXT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    editor     TEXT NOT NULL DEFAULT '',
    saved_at   TIMESTAMPTZ NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- Changes a search backend has still to index (the Meilisearch outbox).
CREATE TABLE kb_outbox (
    seq        BIGSERIAL PRIMARY KEY,
    article_id TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE kb_outbox;
DROP TABLE kb_article_versions;
DROP TABLE kb_articles;
