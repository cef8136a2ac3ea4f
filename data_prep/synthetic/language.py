"""What a language gives the story builder and the questions: data, and a few hooks.

`builder.StoryBuilder` runs the one story skeleton; the numbers below shape it (how long a story
is, which events come how early, which optional sentences a language has). English and Chinese
(english.py, chinese.py) set these and implement the hooks.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

from .templates import Templates


class Language:
    """A language's data and hooks; the numbers here shape the story skeleton. Story hooks get the
    builder `b` (a builder.StoryBuilder: its rng, ctx and facts); builder imports this module, so
    the type is not named here."""

    code: str
    words: SimpleNamespace
    templates: Templates
    joiner = " "                 # between sentences of a paragraph
    length_range = (80, 300)     # accepted story length (word_count units)
    target_range = (85, 275)     # words the events aim for
    weights: dict = {}           # event -> weight of coming early (dict order breaks ties)
    ending_words = 28            # estimated length of the ending
    min_words = 62               # fillers until the story has this many
    fillers: tuple = ()
    meet_templates = ("meet_child", "meet_animal")  # indexed by "the friend is an animal"
    meet_talk_p = 0.6
    share_after_p = 0.0          # 0: no such template, and no draw
    count_intro_p = 0.0
    describe_out_p = 0.0
    scene_p = 0.3
    scene_counts = (1, 1, 2)
    no_scene_places: tuple = ()
    find_place_p: float | None = None  # at the place: found with this chance, else given (None: always found)
    talk_template = "talk"
    go_home_p = 0.0
    the_end_p = 0.0
    agent_keys: tuple = ()       # pronoun keys copied to the helping agent ("he" -> "ahe")
    indoor_problems: tuple = ()
    outdoor_problems: tuple = ()
    animal_sounds: dict = {}

    # -- hooks
    def finish(self, s: str) -> str:
        raise NotImplementedError

    def count_words(self, s: str) -> int:
        """Length of one sentence, as the events' target counts it."""
        raise NotImplementedError

    def measure(self, text: str) -> int:
        """Length of a whole story (word_count)."""
        raise NotImplementedError

    def open(self, b, name: str, s: str) -> str:
        """The sentence, maybe with an opener ("Then,") before it."""
        return s

    def cast(self, b) -> None:
        """Hero, friend, grown-up, object and place: fills b.ctx and b.facts."""
        raise NotImplementedError

    def animals_for(self, place: str, indoor: bool) -> list:
        raise NotImplementedError

    def animal_ctx(self, c: dict, animal: str) -> None:
        raise NotImplementedError

    def scene_parts(self, b) -> None:
        raise NotImplementedError

    def count_items(self, b) -> tuple[str, dict]:
        """Draw what is counted: (group, its facts), filling the context."""
        raise NotImplementedError

    def count_numbers(self, c: dict, a: int, b: int, t: int, item: dict) -> None:
        raise NotImplementedError

    # -- questions and answers (qa.py, dialogues.py)
    pools: dict = {}             # fact kind -> values wrong answers are drawn from

    def name_pool(self, answer: str) -> list:
        """Names of the same class as `answer` (pet names for pets, persons for persons)."""
        raise NotImplementedError

    def number(self, n: int, measure: bool = True) -> str:
        raise NotImplementedError

    def contains(self, text: str, phrase: str) -> bool:
        raise NotImplementedError

    def same_kind_of_place(self, a: str, b: str) -> bool:
        return False

    def qa_ctx(self, story, kind: str) -> dict:
        """Template context of a question about `story` (hero, object, ...)."""
        raise NotImplementedError

    def answer_ctx(self, c: dict, kind: str, value: str) -> None:
        """Adds what an answer sentence stating `value` needs (measure words, "3 shells")."""

    def arithmetic_text(self, rng: random.Random, op: str, a: int, b: int, t: int, shown: int,
                        bare: bool) -> tuple[str, str, str]:
        """(question, answer sentence stating `shown`, short answer) of a sum or difference."""
        raise NotImplementedError
