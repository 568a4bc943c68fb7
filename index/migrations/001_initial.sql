-- arshif schema, version 1. One SQLite file holds everything; a backup is one file.
-- Article ids only grow (AUTOINCREMENT): alerts use them as a high-water mark.

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ext_id       TEXT,                      -- the id the source gave it, if any
    url          TEXT UNIQUE,               -- NULL when the article has no link
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,             -- the original text, unchanged
    published    TEXT,                      -- ISO date (YYYY-MM-DD) or NULL
    source       TEXT,
    author       TEXT,
    lang         TEXT,
    content_hash TEXT NOT NULL UNIQUE,      -- of the normalised title and body
    origin       TEXT,                      -- file path, feed URL or "telegram:<user>"
    added_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_source ON articles(source);

-- Analysed shadow text (one term per original token). Contentless: the analysed text is
-- recomputed from the original when needed, so it is not stored twice.
CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='', tokenize='unicode61');
CREATE VIRTUAL TABLE articles_vocab USING fts5vocab(articles_fts, 'row');
-- Merge index segments less eagerly than the default (4): bulk ingest ran 35% faster here.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 8);

-- Passages: a few sentences of one paragraph, the unit the answer engine quotes. They are found
-- through their article's index (a separate passage index cost 30% of ingest time and did not
-- change retrieval on XQuAD-ar or ARCD; see README "Measuring").
CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    start      INTEGER NOT NULL,             -- character offsets into articles.body
    end        INTEGER NOT NULL
);
CREATE INDEX passages_article ON passages(article_id, seq);

-- Facts extracted at ingest, per sentence: dates (resolved), people, orgs, places, numbers.
CREATE TABLE facts (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,               -- date | person | org | place | number | money | ...
    start      INTEGER NOT NULL,            -- span in articles.body
    end        INTEGER NOT NULL,
    text       TEXT NOT NULL,               -- as written
    value      TEXT,                        -- ISO date, number or canonical name
    value_end  TEXT,                        -- last day of a date span
    precision  TEXT,                        -- day | week | part_of_month | month | year
    role       TEXT,                        -- a person's title as written
    unit       TEXT,
    key        TEXT                         -- normalised name, for lookups across articles
);
CREATE INDEX facts_article ON facts(article_id, start);
CREATE INDEX facts_key ON facts(key) WHERE key IS NOT NULL;

-- Names learned from the archive: a name seen with a cue word once is recognised without it.
CREATE TABLE names (
    key   TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    seen  INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

-- Telegram side: users and chats, chat memory for follow-ups.
CREATE TABLE users (
    user_id    INTEGER PRIMARY KEY,
    status     TEXT NOT NULL DEFAULT 'allowed',   -- allowed | denied
    added_by   INTEGER,
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    blocked    INTEGER NOT NULL DEFAULT 0         -- the user blocked the bot
);

CREATE TABLE chat_context (
    chat_id     INTEGER PRIMARY KEY,
    article_ids TEXT NOT NULL,                     -- JSON list, most relevant first
    question    TEXT,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Alerts: saved queries; deliveries are recorded before last_seen moves (exactly once).
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    query      TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    paused     TEXT,                               -- why it is paused (blocked, muted)
    last_seen  INTEGER NOT NULL DEFAULT 0,         -- highest article id already matched
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX subscriptions_user ON subscriptions(user_id);

CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | merged
    sent_at         TEXT,
    PRIMARY KEY (subscription_id, article_id)
) WITHOUT ROWID;

CREATE TABLE feeds (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    url           TEXT NOT NULL UNIQUE,
    title         TEXT,
    etag          TEXT,
    last_modified TEXT,
    last_polled   TEXT,
    last_ok       TEXT,
    last_error    TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    added_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE feed_entries (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    entry_key  TEXT NOT NULL,
    article_id INTEGER,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
