"""Rule-based entities for Arabic and English news: people with roles, organisations, places, numbers.

No model and nothing downloaded: an offline box must ingest 31k articles in seconds, so the work is
cue words, a gazetteer and number grammar kept as data tables (``data/*.toml``, read by ``tables``).
The text is tokenised once (one regex pass); each *distinct* token is analysed once and cached (news
vocabulary repeats), and the rules only wake at tokens that carry a trigger flag. Spans are offsets
in the original text (``text[e.start:e.end] == e.text``): a glued prefix such as the و of «والمغرب»
is left outside.

Arabic people are found the way a reader finds them: a title or role («وزير الطاقة الأردني»,
«نظيره المغربي الجنرال») followed by a name, a name followed by «، رئيس …», or a speech verb
(«قال …») followed by a name and a role. Names learned from the archive (``known``) are matched
anywhere, with or without a cue.

Modules, in the order a text meets them: ``tables`` (the word lists), ``gazetteer`` (places.tsv),
``tokens`` (the token classifier: flag bits per distinct token), ``doc`` (the tokens of one text and
its candidates), then one module per kind of rule (``numbers``, ``places``, ``orgs``, ``known``,
``people_ar``, ``people_en``), and ``extract``, which runs them and resolves overlaps.
"""

from .doc import Entity
from .extract import extract_entities
from .gazetteer import load_places
from .places import place_name
from .tokens import entity_key, is_given_name

__all__ = ["Entity", "entity_key", "extract_entities", "is_given_name", "load_places", "place_name"]
