"""CLI: arshif trend, who and feedback (issue 13) on the sample archive."""

from __future__ import annotations

import json
from pathlib import Path

from arshif.bot.cli import main
from arshif.index import feedback, store
from click.testing import CliRunner


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_trend_prints_counts_and_writes_a_png(archive_path: Path, tmp_path: Path) -> None:
    png = tmp_path / "trend.png"
    code, out, _ = run("trend", "الطاقة", "--db", str(archive_path), "--png", str(png))
    assert code == 0
    assert out.startswith("«الطاقة» — المقالات: ")
    assert f"chart written to {png}" in out
    assert png.read_bytes().startswith(b"\x89PNG")


def test_trend_json(archive_path: Path) -> None:
    code, out, _ = run("trend", "energy", "--db", str(archive_path), "--json", "--by-source")
    data = json.loads(out)
    assert code == 0 and data["query"] == "energy" and data["total"] >= 1
    assert sum(p["count"] for p in data["points"]) + data["undated"] == data["total"]
    assert data["peak"]["count"] == max(p["count"] for p in data["points"])
    assert data["png"] is None


def test_trend_with_nothing_found_draws_nothing(archive_path: Path, tmp_path: Path) -> None:
    png = tmp_path / "none.png"
    code, out, _ = run("trend", "كلمةغيرموجودةأبدا", "--db", str(archive_path), "--png", str(png))
    assert code == 0 and "لا مقالات تطابق" in out and not png.exists()


def test_who(archive_path: Path) -> None:
    code, out, _ = run("who", "نادية الجلاصي", "--db", str(archive_path))
    assert code == 0
    assert out.splitlines()[0].startswith("نادية الجلاصي: 2 articles")
    assert "role: وزيرة الصناعة والطاقة" in out
    code, out, _ = run("who", "نادية الجلاصي", "--db", str(archive_path), "--json")
    profile = json.loads(out)["profile"]
    assert profile["articles"] == 2 and profile["latest"]


def test_who_nobody(archive_path: Path) -> None:
    code, out, _ = run("who", "شخص غير موجود", "--db", str(archive_path), "--json")
    assert code == 0 and json.loads(out) == {"name": "شخص غير موجود", "profile": None, "candidates": []}


def test_feedback_lists_and_exports(archive_path: Path) -> None:
    conn = store.connect(archive_path)
    sources = [{"article_id": 1, "title": "t", "url": "https://example.org/1", "published": "2022-01-01"}]
    down = feedback.log_answer(conn, chat_id=1, user_id=2, question="من وقع؟", qtype="who", answer="فلان",
                               sources=sources)
    up = feedback.log_answer(conn, chat_id=1, user_id=2, question="متى؟", qtype="when", answer="أمس",
                             sources=sources)
    feedback.rate(conn, down, 2, feedback.DOWN)
    feedback.rate(conn, up, 2, feedback.UP)
    conn.close()
    code, out, _ = run("feedback", "--db", str(archive_path), "--json")
    data = json.loads(out)
    assert code == 0 and (data["total"], data["up"], data["down"]) == (2, 1, 1)
    assert {r["question"] for r in data["ratings"]} == {"من وقع؟", "متى؟"}
    code, out, _ = run("feedback", "--db", str(archive_path), "--format", "news-qa")
    [line] = out.splitlines()
    record = json.loads(line)
    assert (record["question"], record["type"], record["url"], record["gold"]) == (
        "من وقع؟", "who", "https://example.org/1", [])
    code, out, _ = run("feedback", "--db", str(archive_path), "--since", "2999")
    assert out.strip() == "no ratings yet since 2999-01-01"


def test_feedback_bad_since(archive_path: Path) -> None:
    result = CliRunner().invoke(main, ["feedback", "--db", str(archive_path), "--since", "soon"])
    assert result.exit_code == 2 and "is not a date" in result.stderr
