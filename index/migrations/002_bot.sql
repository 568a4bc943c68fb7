-- arshif schema, version 2: state of the Telegram bot besides users and chat memory (in 001).
--
-- users.status gains a third value, 'seen': a row the bot keeps for bookkeeping only (for example
-- to record that a stranger blocked the bot). It grants nothing: only 'allowed' (set by an admin's
-- /allow) lets a user in, and 'denied' (/deny) shuts them out.

-- Queries behind inline buttons: callback_data is limited to 64 bytes, so a button carries
-- "s:<id>:<page>" and the query text stays here. exclude_id marks a "more like this" list (the
-- article whose title is the query is left out).
CREATE TABLE bot_queries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    query      TEXT NOT NULL,
    exclude_id INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX bot_queries_chat ON bot_queries(chat_id, id);
