-- arshif schema, version 4: alerts. The deliveries table becomes an outbox that a restart can settle.
--
-- A delivery's life: 'pending' (matched, recorded in the same transaction that moved the
-- subscription's last_seen) → 'sending' (claimed with an attempt token, committed just before the
-- Telegram call) → 'sent' (Telegram's message_id recorded). 'merged': a near-duplicate of another
-- article shown to the same subscription (never sent on its own). 'failed': gave up after repeated
-- errors (kept, with the error, so nothing disappears silently). See index/alerts.py.

ALTER TABLE deliveries ADD COLUMN attempt TEXT;                      -- token of the send in flight
ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; -- sends Telegram refused so far
ALTER TABLE deliveries ADD COLUMN message_id INTEGER;                -- the message that carried it
ALTER TABLE deliveries ADD COLUMN merged_into INTEGER;               -- 'merged': the article shown instead
ALTER TABLE deliveries ADD COLUMN created_at TEXT;                   -- when matched (UTC, ISO 8601)
ALTER TABLE deliveries ADD COLUMN error TEXT;                        -- the last send error, or a note

-- The job looks for work by status; 'sent' and 'merged' rows (nearly all of them) stay out of it.
CREATE INDEX deliveries_open ON deliveries(status, subscription_id) WHERE status IN ('pending', 'sending');
-- Articles recently alerted to someone, one row each (not one per subscription): a new article is
-- compared with these for near-duplicates. Kept small by pruning rows older than a few days.
CREATE TABLE alerted_articles (
    article_id INTEGER PRIMARY KEY,
    first_at   TEXT NOT NULL                                  -- first matched (UTC, ISO 8601)
);
CREATE INDEX alerted_articles_first ON alerted_articles(first_at);
