"""Alerts: saved queries matched against new articles, each match delivered once.

**Matching** (``collect_alerts``). Article ids only grow, so "new" is a rowid range. One run reads
the archive's high-water mark ``H`` once; every running subscription is searched with its own query
for ``last_seen < rowid <= H`` (FTS5 applies the range itself); then ONE transaction inserts the
matches into ``deliveries`` (``UNIQUE(subscription, article)``, ``INSERT OR IGNORE``) and moves
``last_seen`` to ``H`` — compare-and-set on the old value, so two runs never record a range twice.
A crash before that commit records nothing and moves nothing: the next run redoes the range. An
article ingested by another process is just a higher rowid: it is seen by the next run.

**Sending** is separate and works like an outbox, one Telegram message at a time:

1. ``claim`` — the message's deliveries go ``pending → sending`` with a fresh attempt token (commit);
2. the bot calls ``sendMessage``;
3. ``mark_sent`` — ``sending → sent`` with the returned ``message_id`` (commit). When Telegram
   *refuses* the message (blocked, flood limit, bad request) nothing was shown, so ``release`` puts
   the deliveries back to ``pending`` (``failed`` after ``MAX_ATTEMPTS`` refusals, never silently).

The Bot API has no idempotency key and no way to ask "did this message arrive?", so a process that
dies between 2 and 3 leaves rows in ``sending`` whose fate is unknowable. ``recover_interrupted``
(run by the bot before each round of sending) records them as *sent without a message id* and logs
each one at WARNING ("possibly sent"): **at most once for that one message, never a duplicate**.
Resending instead (at least once) would duplicate every alert whose send succeeded — the common
case, since the window after Telegram accepts a message (its processing, the response, parsing,
one commit) is at least as long as the window before the request leaves (the message is rendered
before the claim, so only writing the request remains). An alert can therefore only be lost by a
crash inside a single in-flight ``sendMessage`` call, and then it is named in the log. Every
other crash point loses nothing and duplicates nothing: before 1, the rows are still pending;
after 3, they are sent. A send whose outcome Telegram did not report (a read timeout) is treated
the same way as a crash.

**Near-duplicates.** The same story from several sources alerts once and lists the sources. Each
new article's signature is its folded title plus the first 300 characters of its body; two articles
are near-duplicates when rapidfuzz ``token_set_ratio`` ≥ 88 and their word sets overlap by a
Jaccard ≥ 0.45 (token_set_ratio alone scores a short text contained in a long one 100). Measured on
1,682 SaudiNewsNet pairs scoring ≥ 80: from 90 up nearly all are one story told by two newspapers;
86–90 mostly are, with some templated but different stories (royal cables of congratulation to
different countries scored 86–87); below 86 different stories dominate.
Candidate pairs share ≥ 3 rare words (the true pairs above 88 all share ≥ 4), which avoids scoring
all n² pairs. Within a run the duplicates of an article matched by a subscription are recorded as
``merged`` into the first one; a new article close to one already delivered to that subscription
in the last ``LOOKBACK_DAYS`` days is merged into the old one (never sent again).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from . import store
from .analysis import fold, normalize
from .errors import AlreadySubscribed, ArchiveError, LimitError, QuerySyntaxError
from .models import Hit, Subscription
from .search import ParsedQuery, build_match, can_match, excerpt, fresh_terms, parse_query

__all__ = [
    "DIGEST_MIN",
    "MAX_QUERY_CHARS",
    "Alert",
    "AlertBatch",
    "AlreadySubscribed",
    "ChatAlerts",
    "Subscription",
    "claim",
    "collect_alerts",
    "list_subscriptions",
    "mark_sent",
    "mute",
    "pause_chat",
    "pause_user",
    "pending_deliveries",
    "recover_interrupted",
    "release",
    "resume_chat",
    "resume_user",
    "subscribe",
    "unmute",
    "unsubscribe",
]

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200  # a saved query; longer ones are refused
# More alerts than this for one chat in one round become a digest (one message listing them).
DIGEST_MIN = 3
MAX_ATTEMPTS = 8  # refusals by Telegram before a delivery is marked 'failed'
LOOKBACK_DAYS = 3  # how far back a new article is compared with articles already delivered
NEAR_DUP_SCORE = 88  # rapidfuzz token_set_ratio on signatures (see the module docstring)
NEAR_DUP_MIN_JACCARD = 0.45
LEAD_CHARS = 300
MIN_SHARED_RARE = 3  # rare words two articles must share before their signatures are compared
PENDING_ROWS = 2000  # pending deliveries loaded per round; the rest wait for the next round
MAX_PER_CHAT = 30  # alerts per chat per round (three digest messages); the rest wait for the next round

PAUSED_BLOCKED = "blocked"
PAUSED_MUTED = "muted"
INTERRUPTED_NOTE = "interrupted: the bot stopped during this send; recorded as possibly sent"
UNCONFIRMED_NOTE = "unconfirmed: Telegram did not answer; recorded as possibly sent"

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class AlertBatch:
    """What one matching run recorded for one subscription: articles to send and ones merged."""

    subscription_id: int
    chat_id: int
    article_ids: tuple[int, ...]
    merged: tuple[tuple[int, int], ...] = ()  # (article, merged into article)


@dataclass(frozen=True, slots=True)
class Alert:
    """One article to show in a chat, with every subscription and near-duplicate it stands for.

    ``keys`` are the (subscription, article) deliveries a message showing it settles; ``also`` the
    (source, url) of near-duplicates from other sources merged into it.
    """

    article_id: int
    title: str
    url: str | None
    published: str | None
    source: str | None
    excerpt: str
    highlights: tuple[tuple[int, int], ...]
    subscriptions: tuple[tuple[int, str], ...]  # (id, query)
    also: tuple[tuple[str | None, str | None], ...] = ()
    keys: tuple[tuple[int, int], ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source reporting the story, this article's first, without repeats."""
        names = [self.source, *(s for s, _ in self.also)]
        return tuple(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True, slots=True)
class ChatAlerts:
    """The pending alerts of one chat; more than ``DIGEST_MIN`` are sent as a digest."""

    chat_id: int
    user_id: int
    alerts: tuple[Alert, ...]

    @property
    def digest(self) -> bool:
        """True when the alerts should go out as one digest message rather than one each."""
        return len(self.alerts) > DIGEST_MIN

    @property
    def keys(self) -> tuple[tuple[int, int], ...]:
        """Every delivery these alerts settle."""
        return tuple(k for a in self.alerts for k in a.keys)


# --- subscriptions ------------------------------------------------------------------------------


@lru_cache(maxsize=32_768)
def _plan(query: str) -> tuple[str, store.Filters, frozenset[str]]:
    """Return (MATCH expression, filters, highlight terms) of a saved query (cached: queries repeat)."""
    parsed = parse_query(query)
    return build_match(parsed), parsed.filters, frozenset(parsed.positive_terms)


@lru_cache(maxsize=32_768)
def _parsed(query: str) -> ParsedQuery:
    return parse_query(query)


def subscribe(conn: sqlite3.Connection, user_id: int, chat_id: int, query: str, *,
              limit: int) -> tuple[Subscription, int, Hit | None]:
    """Save a query for alerts; return it, how many archived articles match now, and the newest one.

    The query is validated by running it (DateRangeError / QuerySyntaxError carry the user-facing
    reason). ``last_seen`` starts at the archive's current high-water mark, so the articles already
    there are counted and shown once here but never alerted.
    """
    query = " ".join((query or "").split())
    if not query:
        raise QuerySyntaxError("Write the words to watch for, e.g. /subscribe desalination Aqaba.")
    if len(query) > MAX_QUERY_CHARS:
        raise LimitError(f"A subscription query can be at most {MAX_QUERY_CHARS} characters; shorten it.",
                         what="query", limit=MAX_QUERY_CHARS)
    match, filters, terms = _plan(query)
    high = store.max_article_id(conn)
    bounded = store.Filters(since=filters.since, until=filters.until, sources=filters.sources, max_id=high)
    total = store.count_hits(conn, match, bounded)
    rows = store.fetch_hits(conn, match, bounded, limit=1, by_date=True) if total else []
    example = None
    if rows:
        r = rows[0]
        text, spans = excerpt(r.body, terms)
        example = Hit(article_id=r.id, title=r.title, url=r.url, published=r.published,
                      source=r.source, score=round(-r.score, 4), excerpt=text, highlights=spans)
    sub, existing = store.insert_subscription(conn, user_id, chat_id, query, last_seen=high, limit=limit)
    if existing is not None:
        raise AlreadySubscribed(f"You already subscribed to this query (#{existing.id}).", sub_id=existing.id)
    if sub is None:
        raise LimitError(f"You have {limit} subscriptions, the most allowed; remove one with "
                         "/unsubscribe <id> first (/subscriptions lists them).", what="subscriptions", limit=limit)
    log.info("subscription %s saved: %d chars, %d archived matches", sub.id, len(query), total)
    return sub, total, example


def list_subscriptions(conn: sqlite3.Connection, user_id: int) -> list[Subscription]:
    """Return the user's subscriptions, oldest first."""
    return store.user_subscriptions(conn, user_id)


def get_subscription(conn: sqlite3.Connection, sub_id: int) -> Subscription | None:
    """Return one subscription, or None."""
    return store.get_subscription(conn, sub_id)


def unsubscribe(conn: sqlite3.Connection, user_id: int, sub_id: int) -> bool:
    """Delete one of the user's own subscriptions; False when it is not theirs or does not exist."""
    return store.delete_subscription(conn, user_id, sub_id)


def mute(conn: sqlite3.Connection, user_id: int, sub_id: int) -> bool:
    """Stop alerting one of the user's subscriptions (kept in the list as muted)."""
    return store.set_subscription_paused(conn, user_id, sub_id, PAUSED_MUTED)


def unmute(conn: sqlite3.Connection, user_id: int, sub_id: int) -> bool:
    """Alert a muted subscription again, from now on (what arrived while muted is not sent)."""
    return store.set_subscription_paused(conn, user_id, sub_id, None, last_seen=store.max_article_id(conn))


def pause_user(conn: sqlite3.Connection, user_id: int, reason: str = PAUSED_BLOCKED) -> int:
    """Pause every running subscription of a user; return how many.

    Their pending deliveries stay pending and go out after ``resume_user``; articles arriving while
    paused are not matched (a resumed subscription starts from the archive's current end).
    """
    with store.transaction(conn, immediate=True):
        n = store.pause_subscriptions(conn, reason, user_id=user_id)
    log.info("paused %d subscriptions of user %s (%s)", n, user_id, reason)
    return n


def pause_chat(conn: sqlite3.Connection, chat_id: int, reason: str = PAUSED_BLOCKED) -> int:
    """Pause every running subscription delivering to a chat (it blocked the bot or removed it)."""
    with store.transaction(conn, immediate=True):
        n = store.pause_subscriptions(conn, reason, chat_id=chat_id)
    log.info("paused %d subscriptions of chat %s (%s)", n, chat_id, reason)
    return n


def resume_user(conn: sqlite3.Connection, user_id: int, reason: str = PAUSED_BLOCKED) -> int:
    """Resume the user's subscriptions paused for ``reason``, matching from now on; return how many."""
    n = store.resume_subscriptions(conn, reason, last_seen=store.max_article_id(conn), user_id=user_id)
    if n:
        log.info("resumed %d subscriptions of user %s (%s)", n, user_id, reason)
    return n


def resume_chat(conn: sqlite3.Connection, chat_id: int, reason: str = PAUSED_BLOCKED) -> int:
    """Resume a chat's subscriptions paused for ``reason``, matching from now on; return how many."""
    n = store.resume_subscriptions(conn, reason, last_seen=store.max_article_id(conn), chat_id=chat_id)
    if n:
        log.info("resumed %d subscriptions of chat %s (%s)", n, chat_id, reason)
    return n


# --- matching -----------------------------------------------------------------------------------


def _signature(title: str, lead: str) -> str:
    return " ".join(_WORD.findall(fold(normalize(f"{title} {lead[:LEAD_CHARS]}"))))


class _Clusters:
    """Union-find over article ids: near-duplicates share a root (the lowest id)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def root(self, a: int) -> int:
        parent = self.parent
        while parent.get(a, a) != a:
            parent[a] = parent.get(parent[a], parent[a])
            a = parent[a]
        return a

    def join(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            lo, hi = min(ra, rb), max(ra, rb)
            self.parent[hi] = lo


def near_duplicates(conn: sqlite3.Connection, new_ids: Iterable[int], old_ids: Iterable[int] = ()
                    ) -> tuple[_Clusters, dict[int, set[int]]]:
    """Return clusters of near-duplicate new articles and, per new article, similar old ones."""
    new = sorted(set(new_ids))
    old = sorted(set(old_ids) - set(new))
    clusters = _Clusters()
    similar_old: dict[int, set[int]] = defaultdict(set)
    if not new:
        return clusters, similar_old
    rows = store.article_leads(conn, [*new, *old], LEAD_CHARS)
    sigs = {r.id: _signature(r.title, r.lead) for r in rows}
    words = {i: set(s.split()) for i, s in sigs.items()}
    df = Counter(w for ws in words.values() for w in ws)
    rare_limit = max(5, len(words) // 50)
    postings: dict[str, list[int]] = defaultdict(list)
    for i in sorted(words):
        for w in words[i]:
            if df[w] <= rare_limit:
                postings[w].append(i)
    new_set = set(new)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in postings.values():
        for x in range(len(ids)):
            a = ids[x]
            for b in ids[x + 1:]:
                if a in new_set or b in new_set:
                    shared[(a, b)] += 1
    for (a, b), n in shared.items():
        if n < MIN_SHARED_RARE:
            continue
        wa, wb = words[a], words[b]
        if len(wa & wb) / len(wa | wb) < NEAR_DUP_MIN_JACCARD:
            continue
        if fuzz.token_set_ratio(sigs[a], sigs[b], score_cutoff=NEAR_DUP_SCORE) == 0:
            continue
        if a in new_set and b in new_set:
            clusters.join(a, b)
        else:
            older, newer = (a, b) if a not in new_set else (b, a)
            similar_old[newer].add(older)
    return clusters, similar_old


def collect_alerts(conn: sqlite3.Connection) -> list[AlertBatch]:
    """Match every running subscription against the articles added since it last looked.

    Returns, per subscription with matches, what was recorded. Deliveries are written and
    ``last_seen`` moved in one transaction (see the module docstring).
    """
    started = time.perf_counter()
    high = store.max_article_id(conn)
    subs = store.subscriptions_due(conn, high)
    if not subs:
        return []
    # Subscriptions with the same query and starting point share one search.
    groups: dict[tuple[str, int], list[Subscription]] = defaultdict(list)
    for s in subs:
        groups[(s.query, s.last_seen)].append(s)
    # The terms of the new articles: a query keeps only the forms they hold (the same matches, a
    # fraction of the lookups), and one whose words they lack is not run at all.
    fresh = fresh_terms(conn, min(s.last_seen for s in subs), high)
    matched: dict[int, list[int]] = {}
    for (query, last_seen), members in groups.items():
        try:
            if fresh is None:
                match, filters, _terms = _plan(query)
            else:
                parsed = _parsed(query)
                filters = parsed.filters
                match = build_match(parsed, present=fresh) if can_match(parsed, fresh) else None
            ids = store.match_new_ids(conn, match, filters, last_seen, high) if match else []
        except ArchiveError as exc:  # saved before a change made it invalid: skip, never block others
            log.warning("subscriptions %s: query no longer searchable: %s", [m.id for m in members], exc)
            ids = []
        for m in members:
            matched[m.id] = ids
    new_ids = {a for ids in matched.values() for a in ids}
    old_ids = store.recently_alerted_articles(conn, LOOKBACK_DAYS, max(new_ids) + 1) if new_ids else []
    clusters, similar_old = near_duplicates(conn, new_ids, old_ids)
    root = {a: clusters.root(a) for a in new_ids}
    members_of: dict[int, list[int]] = defaultdict(list)
    for a, r in root.items():
        members_of[r].append(a)
    # Per new article, the articles a subscription may already have been alerted about: similar
    # older ones, and its near-duplicates in this range (another subscription's range may differ).
    peers: dict[int, set[int]] = {}
    for a in new_ids:
        near = set(similar_old.get(a, ()))
        if len(members_of[root[a]]) > 1:
            near.update(m for m in members_of[root[a]] if m != a)
        if near:
            peers[a] = near
    wanted = {(sub_id, o) for sub_id, ids in matched.items() for a in ids if a in peers for o in peers[a]}
    delivered = store.delivered_pairs(conn, wanted) if wanted else set()

    rows: dict[int, list[tuple[int, str, int | None]]] = {}
    batches: list[AlertBatch] = []
    by_id = {s.id: s for s in subs}
    for sub_id, ids in matched.items():
        if not ids:
            continue
        groups_by_root: dict[int, list[int]] = defaultdict(list)
        for a in ids:
            groups_by_root[root[a]].append(a)
        out: list[tuple[int, str, int | None]] = []
        send: list[int] = []
        merged: list[tuple[int, int]] = []
        for members in groups_by_root.values():
            olds = sorted(o for a in members for o in peers.get(a, ()) if (sub_id, o) in delivered)
            if olds:
                head, rest = olds[0], members
            else:
                head, rest = members[0], members[1:]
                out.append((head, "pending", None))
                send.append(head)
            for a in rest:
                out.append((a, "merged", head))
                merged.append((a, head))
        rows[sub_id] = out
        batches.append(AlertBatch(sub_id, by_id[sub_id].chat_id, tuple(sorted(send)), tuple(merged)))
    advances = [(s.id, s.last_seen, high) for s in subs]
    done = set(store.record_matches(conn, advances, rows, keep_days=LOOKBACK_DAYS))
    batches = [b for b in batches if b.subscription_id in done]
    log.info("alerts matched: %d subscriptions up to article %d, %d to send, %d merged, %.2f s",
             len(done), high, sum(len(b.article_ids) for b in batches), sum(len(b.merged) for b in batches),
             time.perf_counter() - started)
    return batches


# --- sending ------------------------------------------------------------------------------------


def pending_deliveries(conn: sqlite3.Connection, *, per_chat: int = MAX_PER_CHAT,
                       limit: int = PENDING_ROWS) -> list[ChatAlerts]:
    """Return pending alerts grouped by chat (at most ``per_chat`` each, oldest first).

    An article matched by several subscriptions of a chat is one alert. Excerpts are computed only
    for chats that get individual alerts (a digest lists titles).
    """
    rows = store.pending_rows(conn, per_chat=per_chat, limit=limit)
    if not rows:
        return []
    also: dict[tuple[int, int], list[tuple[str | None, str | None]]] = defaultdict(list)
    for m in store.merged_rows(conn, {r.subscription_id for r in rows}):
        also[(m.subscription_id, m.merged_into)].append((m.source, m.url))
    chats: dict[int, dict[int, list[store.PendingDelivery]]] = defaultdict(lambda: defaultdict(list))
    owners: dict[int, int] = {}
    for r in rows:
        chats[r.chat_id][r.article_id].append(r)
        owners.setdefault(r.chat_id, r.user_id)
    out = []
    for chat_id, articles in chats.items():
        digest = len(articles) > DIGEST_MIN
        alerts = []
        for article_id, subs in articles.items():
            first = subs[0]
            text, spans = "", ()
            if not digest:
                terms: set[str] = set()
                for s in subs:
                    with contextlib.suppress(ArchiveError):
                        terms |= _plan(s.query)[2]
                text, spans = excerpt(first.body, terms)
            extra = [x for s in subs for x in also.get((s.subscription_id, article_id), ())]
            alerts.append(Alert(
                article_id=article_id, title=first.title, url=first.url, published=first.published,
                source=first.source, excerpt=text, highlights=spans,
                subscriptions=tuple((s.subscription_id, s.query) for s in subs),
                also=tuple(dict.fromkeys(extra)),
                keys=tuple((s.subscription_id, article_id) for s in subs),
            ))
        out.append(ChatAlerts(chat_id=chat_id, user_id=owners[chat_id], alerts=tuple(alerts)))
    return out


def claim(conn: sqlite3.Connection, keys: Sequence[tuple[int, int]]) -> tuple[str, int]:
    """Step 1 of a send: mark these deliveries 'sending'; return the attempt token and how many."""
    attempt = uuid.uuid4().hex
    return attempt, store.claim_deliveries(conn, keys, attempt)


def mark_sent(conn: sqlite3.Connection, attempt: str, message_id: int | None, *, note: str | None = None) -> int:
    """Step 3 of a send: Telegram accepted the message; record it; return how many deliveries."""
    return store.confirm_deliveries(conn, attempt, message_id, note)


def release(conn: sqlite3.Connection, attempt: str, error: str, *, count_attempt: bool = True) -> int:
    """Telegram refused the message (nothing was shown): back to pending, or 'failed' at the limit.

    ``count_attempt=False`` for refusals that say nothing about the message (flood limit, blocked).
    """
    back, failed = store.release_deliveries(conn, attempt, error, count_attempt=count_attempt,
                                            max_attempts=MAX_ATTEMPTS)
    if failed:
        log.error("%d alert deliveries gave up after %d refusals by Telegram: %s", failed, MAX_ATTEMPTS, error)
    return back + failed


def recover_interrupted(conn: sqlite3.Connection) -> int:
    """Settle deliveries left 'sending' by a stopped process as possibly sent; return how many.

    Call only when no send is in flight (the bot does it at the start of each round, under its lock).
    """
    rows = store.interrupted_deliveries(conn)
    if not rows:
        return 0
    for r in rows:
        log.warning("alert possibly sent, not resent (interrupted send %s): subscription %s, article %s",
                    r.attempt, r.subscription_id, r.article_id)
    return store.settle_interrupted(conn, INTERRUPTED_NOTE)
