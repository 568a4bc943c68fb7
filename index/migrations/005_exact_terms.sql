-- arshif schema, version 5: exact terms beside stems (issue 12).
--
-- The stem alone conflates words («كورونا» and «الكوري» → كور; «العملة» and «العمل» → عمل), so the
-- index gains two columns of exact terms (normalised, folded, glued article stripped, no suffix
-- removed; see analysis.exact_term), one per original token like the stem columns. A contentless
-- FTS5 table cannot gain columns, so it is created again and filled from the stored articles by
-- the Python step of this migration (store._reindex), in the same transaction: the articles,
-- facts and everything else stay as they are.
DROP TABLE articles_vocab;
DROP TABLE articles_fts;
CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, title_exact, body_exact, content='', tokenize='unicode61');
CREATE VIRTUAL TABLE articles_vocab USING fts5vocab(articles_fts, 'row');
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 8);
