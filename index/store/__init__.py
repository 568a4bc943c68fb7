"""All SQL of the engine: the SQLite store (articles, FTS5 shadow index, passages, facts, chat
state, subscriptions, feeds). Other modules call these functions and never write SQL, so a second
backend (PostgreSQL) is a second store module, not a rewrite.

One file, shared by processes (the bot serving, ``arshif ingest`` writing): WAL journal,
``busy_timeout`` and short transactions. The schema evolves by numbered migrations in
``index/migrations/`` tracked by ``PRAGMA user_version``; every connection applies what is missing.

This package is the one public surface; its private modules follow the table groups:

- ``_schema``: connections, pragmas, migrations, transactions;
- ``_articles``: articles, their passages, duplicates;
- ``_search``: the FTS5 search SQL, hits and counts, the index vocabulary;
- ``_facts``: facts and learned names;
- ``_feedback``: answers as shown and their ratings;
- ``_users``: users and access, paging-button queries, chat memory;
- ``_feeds``: feeds and their seen entries;
- ``_alerts``: subscriptions and the deliveries outbox;
- ``_operations``: backup, figures, integrity check.

Callers use ``store.fn(...)`` (so a test can replace ``store.insert_articles`` for every caller).
"""

from __future__ import annotations

from ._alerts import (
    blocked_users_back,
    claim_deliveries,
    confirm_deliveries,
    delete_subscription,
    delivered_pairs,
    delivery_counts,
    get_subscription,
    insert_subscription,
    interrupted_deliveries,
    merged_rows,
    pause_subscriptions,
    pending_rows,
    recently_alerted_articles,
    record_matches,
    release_deliveries,
    resume_subscriptions,
    set_subscription_paused,
    settle_interrupted,
    subscriptions_due,
    subscriptions_paused,
    user_subscriptions,
)
from ._articles import (
    PreparedArticle,
    article_id_for,
    article_leads,
    article_passages,
    count_articles,
    delete_article,
    get_article,
    get_articles,
    insert_articles,
    is_duplicate,
    latest_articles,
    max_article_id,
    url_exists,
)
from ._facts import facts_for, facts_near_people, known_names, name_counts, person_mentions, person_names
from ._feedback import feedback_rows, insert_answer_log, set_feedback
from ._feeds import (
    delete_feed,
    feed_validators,
    fetch_feed,
    fetch_feeds,
    insert_feed,
    record_feed_entries,
    record_feed_failure,
    record_feed_success,
    seen_entry_keys,
)
from ._operations import backup, integrity_ok, stats
from ._schema import (
    BUSY_TIMEOUT_MS,
    EXACT_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
    bulk_mode,
    connect,
    connect_readonly,
    database_file,
    migrate,
    missing_archive_message,
    schema_version,
    transaction,
    write_problem,
)
from ._search import (
    BODY_WEIGHT,
    TITLE_WEIGHT,
    Filters,
    count_by_day,
    count_hits,
    doc_freqs,
    fetch_hits,
    fetch_hits_counted,
    frequent_terms,
    match_new_ids,
    search_sql,
)
from ._users import (
    BOT_QUERIES_PER_CHAT,
    USER_STATUSES,
    BotQuery,
    User,
    get_user,
    list_users,
    load_bot_query,
    load_chat_context,
    save_bot_query,
    save_chat_context,
    set_user_blocked,
    set_user_status,
)

__all__ = [
    "BODY_WEIGHT",
    "BOT_QUERIES_PER_CHAT",
    "BUSY_TIMEOUT_MS",
    "EXACT_SCHEMA",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TITLE_WEIGHT",
    "USER_STATUSES",
    "BotQuery",
    "Filters",
    "PreparedArticle",
    "User",
    "article_id_for",
    "article_leads",
    "article_passages",
    "backup",
    "blocked_users_back",
    "bulk_mode",
    "claim_deliveries",
    "confirm_deliveries",
    "connect",
    "connect_readonly",
    "count_articles",
    "count_by_day",
    "count_hits",
    "database_file",
    "delete_article",
    "delete_feed",
    "delete_subscription",
    "delivered_pairs",
    "delivery_counts",
    "doc_freqs",
    "facts_for",
    "facts_near_people",
    "feed_validators",
    "feedback_rows",
    "fetch_feed",
    "fetch_feeds",
    "fetch_hits",
    "fetch_hits_counted",
    "frequent_terms",
    "get_article",
    "get_articles",
    "get_subscription",
    "get_user",
    "insert_answer_log",
    "insert_articles",
    "insert_feed",
    "insert_subscription",
    "integrity_ok",
    "interrupted_deliveries",
    "is_duplicate",
    "known_names",
    "latest_articles",
    "list_users",
    "load_bot_query",
    "load_chat_context",
    "match_new_ids",
    "max_article_id",
    "merged_rows",
    "migrate",
    "missing_archive_message",
    "name_counts",
    "pause_subscriptions",
    "pending_rows",
    "person_mentions",
    "person_names",
    "recently_alerted_articles",
    "record_feed_entries",
    "record_feed_failure",
    "record_feed_success",
    "record_matches",
    "release_deliveries",
    "resume_subscriptions",
    "save_bot_query",
    "save_chat_context",
    "schema_version",
    "search_sql",
    "seen_entry_keys",
    "set_feedback",
    "set_subscription_paused",
    "set_user_blocked",
    "set_user_status",
    "settle_interrupted",
    "stats",
    "subscriptions_due",
    "subscriptions_paused",
    "transaction",
    "url_exists",
    "user_subscriptions",
    "write_problem",
]
