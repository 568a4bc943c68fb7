"""The user's seed article among 3,000 real news articles: does it answer what a reader asks?

    python tests/bench/bench_seed.py [--distractors 3000] [--seed 5]

The seed article (../shared/seed/cyber-agreement.txt) is ingested with a seeded sample of
SaudiNewsNet articles as distractors, and ten questions of the kinds the user asks about it (who
signed, when, where, with whom, what kind of agreement, …; both public ones included, «متى وقعت؟»
as a follow-up in the same conversation) are asked. A question counts when the answer is shown and
holds the gold as the news-qa README scores it (the gold, all of it when ``all``, or the date, in
the answer or a fact). Prints right/10. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import zipfile
from pathlib import Path

from arshif.index import qa, store
from arshif.index.evaluation import NewsQuestion, is_right
from arshif.index.ingest import RawArticle, ingest_paths, ingest_records

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "cyber-agreement.txt"


def q(qid: str, question: str, qtype: str, gold: tuple[str, ...], *, all_: bool = False,
      gold_date: str | None = None, followup: NewsQuestion | None = None) -> NewsQuestion:
    return NewsQuestion(qid, question, qtype, gold, frozenset(), all_, gold_date, followup)


# Written from the article as a reader would ask; the two public ones first.
QUESTIONS = [
    q("s1", "من وقع اتفاقية التعاون السيبراني بين إسرائيل والمغرب؟", "who", ("يغال أونا", "مصطفى الربيعي"),
      all_=True, followup=q("s2", "متى وقعت؟", "when", ("مطلع يوليو",), gold_date="2021-07")),
    q("s3", "أين وقعت اتفاقية السايبر بين المغرب وإسرائيل؟", "where", ("الرباط",)),
    q("s4", "مع من وقع رئيس هيئة السايبر الإسرائيلية اتفاقية التعاون؟", "who", ("مصطفى الربيعي",)),
    q("s5", "ما نوع الاتفاقية التي وقعها المغرب وإسرائيل الشهر الماضي؟", "what", ("السايبر", "السيبراني")),
    q("s6", "من رئيس هيئة السايبر الإسرائيلية؟", "who", ("يغال أونا",)),
    q("s7", "من وزير خارجية إسرائيل الذي سيشارك في افتتاح مكتب الارتباط التجاري في الرباط؟", "who", ("يئير لبيد",)),
    q("s8", "متى سيشارك لبيد في افتتاح مكتب الارتباط التجاري بين الدولتين؟", "when", ("الخميس المقبل",),
      gold_date="2021-08-12"),
    q("s9", "أي شركة إسرائيلية طورت برنامج التجسس بيغاسوس؟", "what", ("NSO",)),
    q("s10", "أي منظمة شاركت في التحقيق الدولي عن برنامج بيغاسوس؟", "what", ("العفو الدولية",)),
]


def distractors(n: int, seed: int) -> list[RawArticle]:
    """Return n SaudiNewsNet articles drawn with a fixed seed."""
    rows = []
    for path in sorted((SHARED / "data" / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                rows.extend(json.loads(zf.read(name)))
    rows = [r for r in rows if (r.get("content") or "").strip()]
    rnd = random.Random(seed)
    return [RawArticle(title=r.get("title") or "", body=r["content"], published=(r.get("date_extracted") or "")[:10]
                       or None, url=r.get("url"), source=r.get("source")) for r in rnd.sample(rows, n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arshif-seed-") as tmp:
        conn = store.connect(Path(tmp) / "seed.db")
        ingest_records(conn, iter(distractors(args.distractors, args.seed)))
        ingest_paths(conn, [SEED], workers=1)
        right = total = 0
        times = []
        for question in QUESTIONS:
            started = time.perf_counter()
            ans = qa.answer_question(conn, question.question)
            times.append(time.perf_counter() - started)
            asked = [(question, ans)]
            if question.followup is not None:
                then = qa.answer_question(conn, question.followup.question, context_ids=list(ans.shown_ids),
                                          previous=ans.question_asked,
                                          previous_answer=ans.best_guess)
                asked.append((question.followup, then))
            for item, reply in asked:
                ok = is_right(reply.as_dict(), item)
                right += ok
                total += 1
                facts = "; ".join(f"{f.kind}:{f.text}" for f in reply.facts)
                print(f"{'ok  ' if ok else 'MISS'} {item.question} → {reply.answer!r} "
                      f"(guess {reply.candidate!r}, confidence {reply.confidence:.2f}) [{facts}]")
        conn.close()
    print(f"seed article among {args.distractors} distractors: {right}/{total} right "
          f"(ask mean {sum(times) / len(times) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
