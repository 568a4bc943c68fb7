"""Shared fixtures: the bundled sample archive and the small fixture set in every ingest format.

``archive`` is a fresh connection to a temporary file database holding the bundled samples
(``index/samples``) and ``tests/fixtures``; it is built once per session and copied per test,
so tests may write to it freely.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# pytest puts tests/ on sys.path for this file, where tests/index and tests/bot would shadow the
# real packages as namespace packages under an editable install (its finder runs after sys.path).
sys.path.insert(0, str(REPO))

from arshif.index import store  # noqa: E402
from arshif.index.ingest import ingest_paths  # noqa: E402

SAMPLES = REPO / "index" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_ARTICLES = FIXTURES / "articles"
FIXTURE_ZIP = FIXTURES / "bundle.zip"
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "cyber-agreement.txt"

# Every article of the fixture set: file → (title, published), in the order ingest reads them.
FIXTURE_TITLES: dict[str, list[tuple[str, str]]] = {
    "array.json": [
        ("Quillford council approves a new cycling bridge", "2022-06-01"),
        ("مهرجان للكتاب في مدينة الياسمين", "2022-06-02"),
    ],
    "front-matter.md": [("Fictional port of Marlowe opens a solar ferry terminal", "2022-04-12")],
    "lines.jsonl": [
        ("Brennmoor hospital opens a children's wing", "2022-07-08"),
        ("تدشين خط حافلات كهربائية في مدينة الريحان", "2022-07-09"),
    ],
    "nested/deeper/nested-note.md": [("Glassbrook observatory records a rare meteor shower", "2022-03-05")],
    "object.json": [("افتتاح سوق للتمور في واحة السدرة", "2015-07-21")],
    "page.html": [("افتتاح مكتبة رقمية في بلدة النخيل", "2022-05-20")],
    "txt-date-widgets.txt": [("وزارة المياه تطلق محطة تحلية جديدة في مدينة الزهراء", "2022-03-03")],
    "bundle.zip": [
        ("افتتاح حديقة نباتية في مدينة الصنوبر", "2022-09-12"),
        ("Orrington library extends its opening hours", "2022-09-14"),
        ("Velmora ferry service resumes after repairs", "2022-09-15"),
    ],
}
FIXTURE_COUNT = sum(len(v) for v in FIXTURE_TITLES.values())
SAMPLE_COUNT = len(list(SAMPLES.glob("*.md")))


def titles(conn: sqlite3.Connection) -> list[str]:
    """Return the titles of all stored articles in id order."""
    return [r[0] for r in conn.execute("SELECT title FROM articles ORDER BY id")]


@pytest.fixture(scope="session")
def archive_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a database file holding the samples and the fixture set, built once (do not write)."""
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    conn = store.connect(path)
    summary = ingest_paths(conn, [SAMPLES, FIXTURES], workers=1)
    assert summary.failed == [], summary.failed
    assert summary.added == SAMPLE_COUNT + FIXTURE_COUNT
    conn.close()  # the last connection to close checkpoints the WAL into the main file
    return path


@pytest.fixture
def archive(archive_file: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection to a private copy of the sample archive (writable)."""
    path = tmp_path / "archive.db"
    shutil.copyfile(archive_file, path)
    conn = store.connect(path)
    yield conn
    conn.close()


@pytest.fixture
def archive_path(archive_file: Path, tmp_path: Path) -> Path:
    """Return the path of a private copy of the sample archive (for the CLI)."""
    path = tmp_path / "archive.db"
    shutil.copyfile(archive_file, path)
    return path


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Yield a connection to a new, empty archive file."""
    conn = store.connect(tmp_path / "empty.db")
    yield conn
    conn.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Puts the root logger back as it was after a test that called configure_logging."""
    from arshif.bot.logs import NOISY_LOGGERS

    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {h: list(h.filters) for h in root.handlers},
             {name: logging.getLogger(name).level for name in NOISY_LOGGERS})
    yield
    level, handlers, filters, noisy = saved
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters[:] = kept
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)
