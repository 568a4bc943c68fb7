-- arshif schema, version 6: answer feedback (issue 13).
--
-- Every answer the bot shows is logged with what it showed (question, short answer, sources), so
-- a 👍/👎 button carries only "f:<answer id>:<u|d>" (callback_data is limited to 64 bytes). A
-- rating is one row per (answer, user): pressing again changes it.

CREATE TABLE answer_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER,                            -- who asked
    question   TEXT NOT NULL,
    qtype      TEXT,                               -- who | when | where | how_many | what | ...
    answer     TEXT,                               -- the short answer shown, NULL when none was
    sources    TEXT NOT NULL DEFAULT '[]',          -- JSON [{article_id, title, url, published, excerpt}]
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE feedback (
    answer_id  INTEGER NOT NULL REFERENCES answer_log(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,                   -- who pressed
    rating     INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (answer_id, user_id)
) WITHOUT ROWID;
CREATE INDEX feedback_updated ON feedback(updated_at);
