"""Fit the answer confidence (index/data/confidence.json) on questions that are not news-qa dev.

    python tests/bench/fit_confidence.py --archive /path/to/saudinewsnet.db --work /tmp/calib

The answers must be judged where they will be used: over a large archive of news. So a copy of
the archive (``--archive``, e.g. all of SaudiNewsNet, never written to) gets the paragraphs of
ARCD-train and XQuAD-ar added as articles, and three kinds of questions are asked over it:

- ARCD-train and XQuAD-ar questions (Wikipedia, written by people), gold = their answers;
- questions generated from the archive's own sentences (seeded): a stored fact of a sentence
  (a person, a date, a place, a number) becomes the answer, 2–7 of the sentence's other content
  words (as short as people ask; half the time the ones nearest the answer) become the question
  after «من/متى/أين/كم»; 40% of them are asked as readers do, with 1–3 words of the headline and
  the 1–2 words nearest the answer; half of them get an elliptic
  follow-up about another fact of the same article that has only one of its kind («ومتى أعلن؟»
  where the article names one date), asked in the same conversation;
  articles named in ../shared/data/news-qa/ are never used;

Every question runs through the real engine with every answer shown; a guess is right under the
news-qa README's rules (the gold, or its date, in the answer or a fact), or for a long
Wikipedia answer when its token F1 with the gold is at least 0.6. A logistic regression over
``confidence.FEATURES`` (L2, seeded) gives the probability; the threshold is the lowest one at
which shown answers are right at least ``--precision`` of the time in held-out folds (all
sources together; the news rows' own precision and reliability are recorded beside it).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from arshif.index import confidence, qa, store
from arshif.index.analysis import STOPWORDS, fold, normalize, tokenize
from arshif.index.evaluation import NewsQuestion, _load, f1_score, is_right, load_news_questions
from arshif.index.ingest import ingest_records
from arshif.index.segments import split_sentences

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NEWS_SOURCES = ("gen", "then")
HEADLINE_SHARE = 0.4  # generated questions asked with the headline's words
QWORD = {"person": "من", "date": "متى", "place": "أين", "number": "كم", "money": "كم", "quantity": "كم"}
_STOP = frozenset(fold(normalize(w)) for w in STOPWORDS)


def squad_questions(conn, path: Path, prefix: str) -> list[NewsQuestion]:
    """Add a SQuAD file's paragraphs to the archive; return its questions (gold = answers)."""
    articles, questions = _load(path)
    for a in articles:
        a.url = f"{prefix}:{a.ext_id}"
    ingest_records(conn, iter(articles))
    return [NewsQuestion(f"{prefix}-{q.qid}", q.question, "squad", tuple(q.answers),
                         frozenset([f"{prefix}:{q.gold_ext_id}"])) for q in questions if q.answers]


def generated_questions(conn, n: int, seed: int) -> list[NewsQuestion]:
    """Return questions made from the archive's own sentences and stored facts."""
    rnd = random.Random(seed)
    held = {u for f in SHARED.glob("news-qa/*.jsonl") for q in load_news_questions(f) for u in q.urls}
    top = store.max_article_id(conn)
    out: list[NewsQuestion] = []
    tries = 0
    while len(out) < n and tries < n * 20:
        tries += 1
        aid = rnd.randint(1, top)
        arts = store.get_articles(conn, [aid])
        if aid not in arts or not arts[aid].url or arts[aid].url in held or ":" not in arts[aid].url:
            continue
        art = arts[aid]
        facts = [r for r in store.facts_for(conn, [aid]).get(aid, []) if r.kind in QWORD]
        facts = [r for r in facts if r.kind != "date" or r.precision in ("day", "month")]
        if not facts:
            continue
        f = rnd.choice(facts)
        sent = next(((s, e) for s, e in split_sentences(art.body) if s <= f.start < e), None)
        if sent is None:
            continue
        s, e = sent
        others = [r for r in store.facts_for(conn, [aid])[aid] if s <= r.start < e and r.kind == f.kind
                  and r.start != f.start]
        words = _asked_words(art.body, s, e, f, others, rnd)
        if words is None:
            continue
        if rnd.random() < HEADLINE_SHARE:
            words = _with_headline(art.title, art.body, s, e, f, words, rnd)
        kind = f.kind
        qtype = {"person": "who", "date": "when", "place": "where"}.get(kind, "how_many")
        gold_date = f.value[:10] if kind == "date" and f.value else None
        out.append(NewsQuestion(f"gen-{aid}-{f.start}", f"{QWORD[kind]} {' '.join(words)}؟", qtype,
                                (f.text,), frozenset([art.url]), gold_date=gold_date,
                                followup=_followup(art, facts, f, rnd) if rnd.random() < 0.5 else None))
    return out


def _asked_words(body: str, s: int, e: int, f, others, rnd: random.Random, *,
                 nearest: int | None = None) -> list[str] | None:
    """Return the words a reader would ask with about a fact of the sentence body[s:e].

    People ask short questions: 2–7 of the sentence's content words (half the time the ones
    nearest the answer, its verb and object; else any), in the sentence's order, with the small
    words between two kept ones («اتفاقية التعاون بين إسرائيل والمغرب»). The answer and other
    facts of its kind in the sentence are never among them.
    """
    toks = []
    for tok in tokenize(body[s:e]):
        a = s + tok.start
        if f.start <= a < f.end or any(o.start <= a < o.end for o in others):
            toks.append(None)  # the answer itself: a gap the question never spans
            continue
        toks.append((tok.text, fold(normalize(tok.text)) in _STOP))
    content = [k for k, t in enumerate(toks) if t is not None and not t[1]]
    if len(content) < 3:
        return None
    n = min(len(content), nearest or rnd.choice([2, 3, 3, 4, 4, 5, 6, 7]))
    if nearest or rnd.random() < 0.5:
        at = next((k for k, t in enumerate(toks) if t is None), 0)
        chosen = set(sorted(content, key=lambda k: abs(k - at))[:n])
    else:
        chosen = set(rnd.sample(content, n))
    out = []
    for k, t in enumerate(toks):
        if t is None:
            continue
        if k in chosen:
            out.append(t[0])
        elif t[1]:
            before = next((j for j in range(k - 1, -1, -1) if toks[j] is None or not toks[j][1]), None)
            after = next((j for j in range(k + 1, len(toks)) if toks[j] is None or not toks[j][1]), None)
            if before in chosen and after in chosen:
                out.append(t[0])
    return out


def _with_headline(title: str, body: str, s: int, e: int, f, words: list[str], rnd: random.Random) -> list[str]:
    """Return a question in a reader's words: the headline's words and one or two of the answer's.

    Readers ask with the story's headline in mind («من وقع اتفاقية الربط الكهربائي؟» about «ووقع
    الاتفاقية وزير الطاقة ...»): 1–3 content words of the title, then the 1–2 words of the answer
    sentence nearest the answer (its verb, its object). So the question's words are not all in the
    answer's sentence, and how near they sit to the answer varies as it does in people's questions.
    """
    head = [t.text for t in tokenize(title) if fold(normalize(t.text)) not in _STOP]
    if len(head) < 2:
        return words
    near = _asked_words(body, s, e, f, [], random.Random(rnd.random()), nearest=rnd.choice([1, 2]))
    if not near:
        return words
    kept = set(rnd.sample(range(len(head)), min(len(head), rnd.choice([1, 2, 3]))))
    title_words = [w for k, w in enumerate(head) if k in kept and w not in near]
    return near + title_words


def _followup(art, facts, first, rnd: random.Random) -> NewsQuestion | None:
    """Return an elliptic follow-up about another fact of the same article («ومتى أعلن؟»)."""
    # Well-posed only: the article names one thing of that kind («ومتى؟» has one answer there).
    distinct: dict[str, set[str]] = {}
    for r in facts:
        distinct.setdefault(r.kind, set()).add(fold(normalize(r.value or r.text)))
    others = [r for r in facts if r.kind != first.kind and len(distinct[r.kind]) == 1]
    if not others:
        return None
    f = rnd.choice(others)
    sent = next(((s, e) for s, e in split_sentences(art.body) if s <= f.start < e), None)
    if sent is None:
        return None
    s, e = sent
    content = [tok.text for tok in tokenize(art.body[s:e]) if not f.start <= s + tok.start < f.end
               and fold(normalize(tok.text)) not in _STOP]
    words = rnd.sample(content, min(len(content), rnd.choice([0, 1, 1, 2])))
    gold_date = f.value[:10] if f.kind == "date" and f.value else None
    qtype = {"person": "who", "date": "when", "place": "where"}.get(f.kind, "how_many")
    return NewsQuestion(f"gen-{art.id}-{f.start}-then", f"و{QWORD[f.kind]} {' '.join(words)}".strip() + "؟",
                        qtype, (f.text,), frozenset([art.url]), gold_date=gold_date)


def judge(conn, questions: list[NewsQuestion]) -> list[tuple[dict[str, float], int, str]]:
    """Return (evidence, right, kind) for every question the engine has a guess for."""
    rows = []
    for k, q in enumerate(questions):
        ans = qa.answer_question(conn, q.question)
        asked = [(q, ans)]
        if q.followup is not None:
            then = qa.answer_question(conn, q.followup.question, context_ids=list(ans.shown_ids),
                                      previous=ans.question_asked,
                                      previous_answer=ans.best_guess)
            asked.append((q.followup, then))
        for item, reply in asked:
            if not reply.evidence or reply.answer is None:
                continue
            right = is_right(reply.as_dict(), item) or (
                item.type == "squad" and max(f1_score(reply.answer, g) for g in item.gold) >= 0.6)
            source = "then" if item.qid.endswith("-then") else item.qid.split("-")[0]
            rows.append((dict(reply.evidence), int(right), source))
        if k % 200 == 0:
            print(f"  {k}/{len(questions)}", file=sys.stderr)
    return rows


def fit(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, steps: int = 3000, rate: float = 0.5) -> np.ndarray:
    """Return logistic-regression weights (bias last), gradient descent with L2 on the weights."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) / len(y)
        grad[:-1] += l2 * w[:-1] / len(y)
        w -= rate * grad
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))


def threshold_for(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Return the lowest threshold whose shown answers are right at least ``precision`` of the time."""
    for t in np.arange(0.30, 0.96, 0.01):
        shown = p >= t
        if shown.sum() >= 10 and y[shown].mean() >= precision:
            return float(round(t, 2))
    return 0.95


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archive", required=True, help="an archive database (copied, never written)")
    ap.add_argument("--work", default="/tmp/arshif-calib", help="folder for the copy and the judged rows")
    ap.add_argument("--generated", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--precision", type=float, default=0.85)
    ap.add_argument("--reuse", action="store_true", help="refit on the judged rows of an earlier run")
    ap.add_argument("--reuse-squad", metavar="DIR", help="take the ARCD/XQuAD rows judged by an earlier run in DIR "
                    "and judge only the generated questions (the slow part is the 1,860 SQuAD questions)")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows_path = work / "judged.json"
    # Judge with every answer shown: the fitted file must not decide what it is fitted on.
    confidence.load.cache_clear()
    confidence.load = lambda: confidence.Calibration({}, 0.0, 0.0)  # type: ignore[assignment]
    started = time.time()
    if args.reuse and rows_path.exists():
        rows = json.loads(rows_path.read_text())
    else:
        db = work / "calib.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(args.archive, db)
        conn = store.connect(db)
        questions = generated_questions(conn, args.generated, args.seed)
        earlier = []
        if args.reuse_squad:
            earlier = [r for r in json.loads((Path(args.reuse_squad) / "judged.json").read_text())
                       if r[2] in ("arcd", "xquad")]
        else:
            questions += squad_questions(conn, SHARED / "arcd-train" / "arcd-train.json", "arcd")
            questions += squad_questions(conn, SHARED / "xquad-ar" / "xquad.ar.json", "xquad")
        print(f"{len(questions)} questions", file=sys.stderr)
        rows = judge(conn, questions) + earlier
        rows_path.write_text(json.dumps(rows, ensure_ascii=False))
        (work / "judged_by.txt").write_text(" ".join(["python", "tests/bench/fit_confidence.py", *sys.argv[1:]]))
    names = confidence.FEATURES
    x = np.array([[ev.get(k, 0.0) for k in names] for ev, _, _ in rows])
    y = np.array([r for _, r, _ in rows], dtype=float)
    # The threshold is set on every held-out row: the news questions generated from the archive
    # are easier than people's, the Wikipedia ones (ARCD, XQuAD) harder.
    source = np.array([s for _, _, s in rows])
    news = np.isin(source, NEWS_SOURCES)
    rnd = np.random.default_rng(args.seed)
    folds = rnd.integers(0, 5, len(y))
    held_p = np.zeros(len(y))
    for k in range(5):
        w = fit(x[folds != k], y[folds != k])
        held_p[folds == k] = predict(w, x[folds == k])
    threshold = threshold_for(held_p, y, args.precision)
    w = fit(x, y)
    shown = held_p >= threshold
    reliability = []
    for lo, hi in ((0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)):
        m = news & (held_p >= lo) & (held_p < hi)
        reliability.append({"confidence": f"{lo:.1f}-{min(hi, 1.0):.1f}", "news_guesses": int(m.sum()),
                            "right": round(float(y[m].mean()), 3) if m.any() else None})
    by_source = {}
    for src in sorted({s for _, _, s in rows}):
        m = np.array([s == src for _, _, s in rows])
        by_source[src] = {"guesses": int(m.sum()), "right": round(float(y[m].mean()), 3),
                          "shown": int((shown & m).sum()),
                          "precision_shown": round(float(y[shown & m].mean()), 3) if (shown & m).any() else None}
    out = {
        "feature_version": confidence.FEATURE_VERSION,
        "features": list(names),
        "weights": {k: round(float(v), 4) for k, v in zip(names, w[:-1], strict=True)},
        "bias": round(float(w[-1]), 4),
        "threshold": threshold,
        "made_by": {
            "script": "tests/bench/fit_confidence.py",
            "command": " ".join(["python", "tests/bench/fit_confidence.py", *sys.argv[1:]]),
            "judged_by": (work / "judged_by.txt").read_text() if (work / "judged_by.txt").exists() else None,
            "data": "ARCD-train + XQuAD-ar paragraphs added to a copy of the archive (all of SaudiNewsNet), "
                    "their questions, and questions generated from the archive's sentences (news-qa articles excluded)",
            "seed": args.seed, "generated": args.generated, "target_precision": args.precision,
            "judged": len(rows), "right": round(float(y.mean()), 3),
            "held_out_precision_shown": round(float(y[shown].mean()), 3) if shown.any() else None,
            "held_out_coverage": round(float(shown.mean()), 3),
            "held_out_news_precision_shown": round(float(y[shown & news].mean()), 3) if (shown & news).any() else None,
            "held_out_news_coverage": round(float(shown[news].mean()), 3),
            "held_out_news_reliability": reliability,
            "by_source": by_source,
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
        },
    }
    dest = Path(__file__).resolve().parents[2] / "index" / "data" / "confidence.json"
    dest.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["made_by"], ensure_ascii=False, indent=1))
    print(f"wrote {dest} in {time.time() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
