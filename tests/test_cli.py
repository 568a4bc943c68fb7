"""The `arshif` CLI: the DESIGN §7 contracts (JSON shapes, batch mode, --db precedence, exit status)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from arshif.bot.cli import main
from arshif.index import store
from click.testing import CliRunner, Result
from conftest import FIXTURE_COUNT, FIXTURES, SAMPLE_COUNT

SEARCH_KEYS = {"query", "total", "results"}
HIT_KEYS = {"article_id", "title", "url", "published", "source", "score", "excerpt"}
ASK_KEYS = {"question", "type", "answer", "facts", "confidence", "sources"}
FACT_KEYS = {"kind", "text", "value", "role"}
SOURCE_KEYS = {"article_id", "title", "url", "published", "excerpt"}


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def _one_sentence(text: str) -> None:
    line = text.strip()
    assert line and "\n" not in line, text
    assert "Traceback" not in line


# --- ingest ---------------------------------------------------------------------------------------------


def test_ingest_json_summary(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "broken.json").write_text("{", encoding="utf-8")
    db = tmp_path / "a.db"
    result = run("ingest", str(FIXTURES), str(bad), str(tmp_path / "missing"), "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"added", "duplicates", "failed"} <= set(summary)
    assert (summary["added"], summary["duplicates"]) == (FIXTURE_COUNT, 0)
    assert isinstance(summary["failed"], list) and len(summary["failed"]) == 3
    for failure in summary["failed"]:
        assert set(failure) >= {"path", "reason"}
        assert failure["reason"]
    reasons = {Path(f["path"]).name: f["reason"] for f in summary["failed"]}
    assert reasons["missing"] == "no such file or folder"
    assert "empty" in reasons["empty.txt"]
    assert "malformed JSON" in reasons["broken.json"]
    again = json.loads(run("ingest", str(FIXTURES), "--db", str(db), "--json").stdout)
    assert (again["added"], again["duplicates"], again["failed"]) == (0, FIXTURE_COUNT, [])


def test_ingest_text_summary(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run("ingest", str(FIXTURES / "articles" / "array.json"), str(tmp_path / "empty.txt"),
                 "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 0
    assert result.stdout.startswith("added 2, duplicates 0, failed 1")
    assert f"failed: {tmp_path / 'empty.txt'}: empty file" in result.stdout


# --- search -----------------------------------------------------------------------------------------------


def test_search_json_contract(archive_path: Path) -> None:
    result = run("search", "مليون", "--json", "--limit", "3", "--db", str(archive_path))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) >= SEARCH_KEYS
    assert data["query"] == "مليون"
    assert data["total"] > 3
    assert len(data["results"]) == 3
    for hit in data["results"]:
        assert set(hit) >= HIT_KEYS
        assert isinstance(hit["article_id"], int) and isinstance(hit["score"], float)
        assert hit["title"] and hit["excerpt"]
    assert [h["score"] for h in data["results"]] == sorted((h["score"] for h in data["results"]), reverse=True)


def test_search_batch_mode(archive_path: Path) -> None:
    queries = ["الطاقة", "ferry", "xyzzyq"]
    result = run("search", "--json", "-", "--db", str(archive_path), input="\n".join(queries) + "\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    assert [o["query"] for o in objects] == queries
    assert objects[0]["total"] > 0 and objects[1]["total"] > 0 and objects[2]["total"] == 0
    assert all(set(o) >= SEARCH_KEYS for o in objects)


def test_search_batch_mode_reports_a_bad_line_and_goes_on(archive_path: Path) -> None:
    result = run("search", "--json", "-", "--db", str(archive_path), input="الطاقة since:2021-13\nferry\n")
    assert result.exit_code == 0
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert "since:2021-07" in first["error"]
    assert second["total"] > 0


def test_search_text_output_is_plain_when_piped(archive_path: Path) -> None:
    result = run("search", "الزهراء", "--db", str(archive_path))
    assert result.exit_code == 0
    assert "1 article(s) match «الزهراء»" in result.stdout
    assert "الزهراء" in result.stdout.split("\n", 1)[1]
    assert "**" not in result.stdout and "\x1b[" not in result.stdout  # no markers, no escapes in a pipe


def test_ask_output_is_plain_when_piped(archive_path: Path) -> None:
    result = run("ask", "من وقع اتفاقية الربط الكهربائي؟", "--db", str(archive_path))
    assert result.exit_code == 0 and result.stdout.strip()
    assert "**" not in result.stdout and "\x1b[" not in result.stdout


def _on_a_terminal(*args: str) -> str:
    """Returns what `arshif ARGS` writes to a pseudo-terminal (the styled form an operator sees)."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "arshif.bot.cli", *args], stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode("utf-8")


def test_search_styles_matches_only_on_a_terminal(archive_path: Path) -> None:
    shown = _on_a_terminal("search", "الزهراء", "--db", str(archive_path))
    assert "\x1b[1m" in shown and "الزهراء" in shown  # bold on a TTY
    assert "**" not in shown


def test_nothing_found_exits_zero(archive_path: Path) -> None:
    result = run("search", "xyzzyq", "--json", "--db", str(archive_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == 0
    text = run("search", "xyzzyq", "--db", str(archive_path))
    assert text.exit_code == 0 and "0 article(s)" in text.stdout


@pytest.mark.parametrize("args", [["الطاقة since:2021-13"], ["الطاقة", "--since", "yesterday"]])
def test_bad_since_value_is_one_clear_sentence(archive_path: Path, args: list[str]) -> None:
    result = run("search", *args, "--db", str(archive_path))
    assert result.exit_code != 0
    assert result.stdout == ""
    _one_sentence(result.stderr)
    assert "is not a date" in result.stderr and "since:2021-07" in result.stderr


def test_only_excluded_words_is_one_clear_sentence(archive_path: Path) -> None:
    # a query that starts with "-" follows "--", or click reads it as an option
    result = run("search", "--db", str(archive_path), "--", "-الغاز -ferry")
    assert result.exit_code != 0
    _one_sentence(result.stderr)
    assert "Add at least one word" in result.stderr


@pytest.mark.parametrize("command", [["search", "x"], ["ask", "x"], ["stats"], ["health"], ["ingest", "x"]])
def test_missing_db_folder_is_one_clear_sentence(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "no" / "such" / "folder" / "a.db"
    result = run(*command, "--db", str(db))
    assert result.exit_code != 0
    _one_sentence(result.stderr)
    assert "does not exist" in result.stderr and str(db.parent) in result.stderr
    assert not db.parent.exists()


def test_query_starting_with_an_excluded_word(archive_path: Path) -> None:
    result = run("search", "--json", "--db", str(archive_path), "--", "-الغاز اتفاقية")
    assert result.exit_code == 0
    assert 0 < json.loads(result.stdout)["total"] < json.loads(
        run("search", "اتفاقية", "--json", "--db", str(archive_path)).stdout)["total"]


def test_search_sql_shows_the_quoted_expression(archive_path: Path) -> None:
    result = run("search", 'NEAR(a "b) -c', "--sql", "--db", str(archive_path))
    assert result.exit_code == 0
    assert "MATCH :match" in result.stdout
    assert "-- :match = " in result.stdout


# --- ask ----------------------------------------------------------------------------------------------------


def test_ask_json_contract(archive_path: Path) -> None:
    result = run("ask", "من وقع اتفاقية الربط الكهربائي؟", "--json", "--db", str(archive_path))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) >= ASK_KEYS
    assert data["question"] == "من وقع اتفاقية الربط الكهربائي؟"
    assert data["answer"] is None or isinstance(data["answer"], str)
    assert isinstance(data["confidence"], float)
    for fact in data["facts"]:
        assert set(fact) >= FACT_KEYS
    assert data["sources"]
    assert set(data["sources"][0]) >= SOURCE_KEYS
    assert data["sources"][0]["excerpt"]


def test_ask_batch_mode(archive_path: Path) -> None:
    questions = ["متى بدأت المفاوضات؟", "How big is the AI fund?"]
    result = run("ask", "--json", "-", "--db", str(archive_path), input="\n".join(questions) + "\n")
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects] == questions


def test_ask_with_nothing_to_find_exits_zero(archive_path: Path) -> None:
    result = run("ask", "xyzzyq qwvvz?", "--json", "--db", str(archive_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["answer"] is None


# --- --db precedence -----------------------------------------------------------------------------------------


def _count(path: Path) -> int:
    conn = store.connect(path)
    try:
        return store.count_articles(conn)
    finally:
        conn.close()


def test_db_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARSHIF_DB", raising=False)
    array = str(FIXTURES / "articles" / "array.json")  # 2 articles
    jsonl = str(FIXTURES / "articles" / "lines.jsonl")  # 2 other articles
    obj = str(FIXTURES / "articles" / "object.json")  # 1 more

    assert run("ingest", array).exit_code == 0  # ./arshif.db
    assert _count(tmp_path / "arshif.db") == 2

    env_db = tmp_path / "env.db"
    assert run("ingest", jsonl, env={"ARSHIF_DB": str(env_db)}).exit_code == 0
    assert (_count(env_db), _count(tmp_path / "arshif.db")) == (2, 2)

    flag_db = tmp_path / "flag.db"
    assert run("ingest", obj, "--db", str(flag_db), env={"ARSHIF_DB": str(env_db)}).exit_code == 0
    assert (_count(flag_db), _count(env_db), _count(tmp_path / "arshif.db")) == (1, 2, 2)

    # reading follows the same order
    hits = json.loads(run("search", "Quillford", "--json").stdout)["total"]
    env_hits = json.loads(run("search", "Quillford", "--json", env={"ARSHIF_DB": str(env_db)}).stdout)["total"]
    assert (hits, env_hits) == (1, 0)


# --- demo and operations ------------------------------------------------------------------------------------------


def test_demo_runs_and_highlights(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = run("demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"{SAMPLE_COUNT} sample articles ingested" in result.stdout
    assert "$ arshif search" in result.stdout and "$ arshif ask" in result.stdout
    assert "**" not in result.stdout and "\x1b[" not in result.stdout  # not a terminal: plain text
    assert _count(db) == SAMPLE_COUNT
    again = run("demo", "--db", str(db))  # --fresh by default: starts over
    assert again.exit_code == 0 and f"{SAMPLE_COUNT} sample articles ingested" in again.stdout


def test_health(archive_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARSHIF_WEBHOOK_URL", raising=False)
    result = run("health", "--db", str(archive_path))
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok"


def test_backup_then_stats_on_the_copy(archive_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.db"
    result = run("backup", str(copy), "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    assert str(copy) in result.stdout
    original = json.loads(run("stats", "--json", "--db", str(archive_path)).stdout)
    copied = json.loads(run("stats", "--json", "--db", str(copy)).stdout)
    assert copied["articles"] == original["articles"] == SAMPLE_COUNT + FIXTURE_COUNT
    assert copied["passages"] == original["passages"]
    assert copied["schema_version"] == store.SCHEMA_VERSION
    again = run("backup", str(copy), "--db", str(archive_path))  # never overwrites
    assert again.exit_code != 0
    _one_sentence(again.stderr)


def test_backup_of_a_missing_database(tmp_path: Path) -> None:
    result = run("backup", str(tmp_path / "copy.db"), "--db", str(tmp_path / "none.db"))
    assert result.exit_code != 0
    _one_sentence(result.stderr)
    assert not (tmp_path / "none.db").exists()


# --- a mistyped --db / $ARSHIF_DB (issue 9 §4) -----------------------------------------------------

READING_COMMANDS = [["search", "x"], ["search", "--json", "-"], ["ask", "x"], ["ask", "--json", "-"], ["stats"],
                    ["stats", "--json"], ["health"], ["backup", "{copy}"], ["feeds", "list"], ["feeds", "remove", "1"],
                    ["feeds", "poll"], ["chat"]]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("via", ["--db", "ARSHIF_DB"])
def test_reading_commands_refuse_a_missing_archive_and_create_nothing(
        tmp_path: Path, command: list[str], via: str) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    db = folder / "arhsif.db"  # the typo an operator makes
    args = [a.replace("{copy}", str(folder / "copy.db")) for a in command]
    if via == "--db":
        result = run(*args, "--db", str(db), input="x\n")
    else:
        result = run(*args, input="x\n", env={"ARSHIF_DB": str(db)})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no archive at {db}; create it with `arshif ingest` or `arshif demo`\n"
    assert list(folder.iterdir()) == []  # no database, no -wal/-shm, no partial backup


@pytest.mark.parametrize("command", [["search", "x"], ["stats"], ["health"]], ids=" ".join)
def test_reading_commands_refuse_an_empty_file_and_leave_it_as_it_was(tmp_path: Path, command: list[str]) -> None:
    log = tmp_path / "bot.log"  # ARSHIF_DB pointed at the log by mistake
    log.write_bytes(b"")
    result = run(*command, "--db", str(log))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {log} is an empty file, not an archive; check --db or $ARSHIF_DB\n"
    assert log.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.log"]


def test_reading_commands_never_write_the_archive(archive_path: Path) -> None:
    before = archive_path.read_bytes()
    for args in (["search", "الزهراء"], ["ask", "متى بدأت المفاوضات؟"], ["stats"], ["feeds", "list"]):
        assert run(*args, "--db", str(archive_path)).exit_code == 0
    assert archive_path.read_bytes() == before  # opened with mode=ro: not one byte changed


# --- numeric options (issue 9 §4) -----------------------------------------------------------------

@pytest.mark.parametrize("args, option", [
    (["search", "x", "--offset", "99999999999999999999"], "--offset"),
    (["search", "x", "--offset", "-1"], "--offset"),
    (["search", "x", "--limit", "0"], "--limit"),
    (["ask", "x", "--article", "99999999999999999999"], "--article"),
    (["ask", "x", "--article", "0"], "--article"),
    (["feeds", "poll", "--loop", "--interval", "1e400"], "--interval"),
    (["feeds", "poll", "--loop", "--interval", "nan"], "--interval"),
    (["ingest", "x", "--workers", "1000"], "--workers"),
    (["serve", "--port", "70000"], "--port"),
    (["eval", "{dataset}", "--limit", "99999999999999999999"], "--limit"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_numeric_options_out_of_range_are_one_clear_sentence(archive_path: Path, args: list[str], option: str) -> None:
    args = [a.replace("{dataset}", str(archive_path)) for a in args]
    result = run(*args, "--db", str(archive_path)) if args[0] != "eval" else run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "OverflowError" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{option}'"), result.stderr
    assert "is not in the range" in last or last.endswith("nan is not a number.")


def test_a_large_offset_within_range_finds_nothing(archive_path: Path) -> None:
    result = run("search", "الطاقة", "--offset", "1000000000", "--json", "--db", str(archive_path))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["total"] > 0 and data["results"] == []


def test_stats_text(archive_path: Path) -> None:
    result = run("stats", "--db", str(archive_path))
    assert result.exit_code == 0
    assert "articles" in result.stdout and str(SAMPLE_COUNT + FIXTURE_COUNT) in result.stdout


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out.extend(_commands(command, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("command", _commands(main), ids=lambda c: " ".join(c) or "arshif")
def test_help_of_every_command(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert result.stdout.count("\n") > 2


def test_every_contract_command_exists() -> None:
    names = {c[0] for c in _commands(main) if c}
    assert {"ingest", "search", "ask", "eval", "demo", "health", "backup", "stats", "config"} <= names
