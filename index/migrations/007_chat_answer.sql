-- arshif schema, version 7: the chat remembers the last answer (issue 10 §5).
--
-- A follow-up («ومن رافقه؟» after «من افتتح المعرض؟») asks for something other than what was just
-- answered, so the answer (or, when the reply was unsure, the best guess) is kept beside the
-- articles shown and the question asked, and left out of the follow-up's candidates.
ALTER TABLE chat_context ADD COLUMN answer TEXT;
