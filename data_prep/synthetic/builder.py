"""The one story builder: the skeleton every synthetic story follows, in every language.

A story is: cast and setting, an opening, getting the object (at home or at the place), a random
order of events (meet a friend, see an animal, a problem solved with help, sharing, counting,
playing, a snack, talk, a scene of people around) until a target length, then a feeling, a moral
and a closing line. What differs between languages is data and a few hooks on `Language`
(language.py, set by english.py and chinese.py): the cast, how an animal or a scene is
described, how counted items and numbers are said, and how a sentence is finished. Every random draw happens in a fixed order, so
a story depends only on its random stream.
"""

from __future__ import annotations

import random

from .language import Language
from .templates import emit


def pick_helper(rng: random.Random, family, titled, avoid) -> str:
    """A grown-up: a family word about a third of the time, otherwise a titled name that does not
    contain the hero's or the friend's name."""
    if rng.random() < 0.35:
        return rng.choice(family)[0]
    while True:
        h = rng.choice(titled)[0]
        if not any(a in h for a in avoid):
            return h


def pick2(rng: random.Random, seq):
    a, b = rng.sample(seq, 2)
    return a, b


class StoryBuilder:
    def __init__(self, lang: Language, rng: random.Random):
        self.lang = lang
        self.T = lang.templates.stories
        self.rng = rng
        self.paras: list[list[str]] = [[]]
        self.words = 0
        self.facts: dict = {}
        self.themes: list[str] = []
        self.friend_met = False
        self.ctx: dict = {}
        # set by Language.cast
        self.animal_hero = self.animal_friend = self.indoor = self.light = False
        self.okind = self.kind_of_place = ""

    # -- output
    def say(self, name, idx=None):
        group = self.T[name]
        out: list = []
        emit(group[int(self.rng.random() * len(group)) if idx is None else idx], self.ctx, self.rng, out)
        self.add(self.lang.open(self, name, self.lang.finish("".join(out))))

    def say_raw(self, s):
        self.add(self.lang.finish(s))

    def add(self, s):
        self.paras[-1].append(s)
        self.words += self.lang.count_words(s)

    def para(self, p=1.0):
        if self.paras[-1] and self.rng.random() < p:
            self.paras.append([])

    def text(self):
        return "\n\n".join(self.lang.joiner.join(p) for p in self.paras if p)

    # -- events
    def opening(self):
        rng, W = self.rng, self.lang.words
        self.say("open_animal" if self.animal_hero else "open_child")
        if rng.random() < 0.6:
            self.say("open_extra")
        if rng.random() < 0.55:
            self.say("setting")
            self.facts["weather"] = self.ctx["weather"]
            self.facts["time"] = self.ctx["tod"]
            if rng.random() < 0.5:
                self.say_raw(rng.choice(W.WEATHER[self.ctx["weather"]]))
        self.para()

    def describe_objects(self):
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            self.say("describe_obj")

    def obtain_at_home(self):
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            self.say("find_home_found")
            self.facts["how"] = "found"
        elif r < 0.8:
            self.say("find_home_given")
            self.facts["how"] = "given"
            self.facts["giver"] = self.ctx["M"]
        else:
            self.say("find_home_had")
            self.facts["how"] = "had"
        self.describe_objects()
        self.para(0.5)
        self.say("go_ride" if self.okind == "ride" and rng.random() < 0.6 else "go_with")
        if rng.random() < 0.6:
            self.describe_place()

    def obtain_at_place(self):
        rng = self.rng
        self.say("go_plain")
        if rng.random() < 0.6:
            self.describe_place()
        self.para(0.4)
        p = self.lang.find_place_p
        if p is None or rng.random() < p:
            self.say("find_place")
            self.facts["how"] = "found"
        else:
            self.say("find_place_given")
            self.facts["how"] = "given"
        self.describe_objects()

    def describe_place(self):
        self.say("describe_place")
        if self.lang.describe_out_p and not self.indoor and self.rng.random() < self.lang.describe_out_p:
            self.say("describe_place_out")
        if self.rng.random() < self.lang.scene_p:
            self.scene()

    def meet(self):
        if self.friend_met:
            return False
        self.say(self.lang.meet_templates[self.animal_friend])
        self.friend_met = True
        self.facts["friend"] = self.ctx["F"]
        if self.rng.random() < self.lang.meet_talk_p:
            self.say("meet_talk")
        return True

    def animal(self):
        c = self.ctx
        animal = self.rng.choice(self.lang.animals_for(self.kind_of_place, self.indoor))
        self.lang.animal_ctx(c, animal)
        self.say("animal_in" if self.indoor else "animal_out")
        if animal in self.lang.animal_sounds and self.rng.random() < 0.5:
            c["a_sound"] = self.lang.animal_sounds[animal]
            self.say("animal_sound")
        self.facts["animal"] = animal
        return True

    def _agent(self):
        """Who helps with a problem: the friend (once met) or the grown-up."""
        c = self.ctx
        who = "f" if self.friend_met and self.rng.random() < 0.7 else "m"
        c["A"] = c["F" if who == "f" else "M"]
        for k in self.lang.agent_keys:
            c["a" + k] = c[who + k]

    def _problem_kinds(self) -> list[str]:
        kinds = ["lost", "break", "scared"]
        if self.indoor and self.okind != "ride":
            kinds += self.lang.indoor_problems
        if not self.indoor:
            kinds += self.lang.outdoor_problems
            if self.light:
                kinds += ["tree", "tree"]
        if self.friend_met:
            kinds.append("friendsad")
        return kinds

    def problem(self):
        rng, c, lang = self.rng, self.ctx, self.lang
        kind = rng.choice(self._problem_kinds())
        self._agent()
        c["neg"] = lang.words.NEG_BY_PROBLEM.get(kind, lang.words.NEG_FEEL)
        if kind == "lost":
            c["sp1"], c["sp2"], c["sp3"] = rng.sample(c["spot"], 3)
        beats, themes = lang.templates.problem_beats[kind]
        for beat in beats:
            self.say(beat)
        self.themes += themes
        self.facts["problem"] = kind
        return True

    def share(self):
        if not self.friend_met:
            self.meet()
        self.say("share")
        if self.lang.share_after_p and self.rng.random() < self.lang.share_after_p:
            self.say("share_after")
        self.themes.append("share")
        self.facts["shared_with"] = self.ctx["F"]
        return True

    def count(self):
        rng, c, lang = self.rng, self.ctx, self.lang
        group, item = lang.count_items(self)
        c["giver2"] = c["recv"] = c["F"] if self.friend_met else c["M"]
        if rng.random() < 0.6:
            a, b = rng.randint(1, 10), rng.randint(1, 10)
            t, op, template = a + b, "+", "count_add"
        else:
            a = rng.randint(3, 15)
            b = rng.randint(1, a - 1)
            t, op = a - b, "-"
            template = "count_eat" if group in ("baked", "fruit") and rng.random() < 0.5 else "count_sub"
        lang.count_numbers(c, a, b, t, item)
        if lang.count_intro_p and rng.random() < lang.count_intro_p:
            self.say("count_intro")
        self.say(template)
        self.facts["sum"] = {"a": a, "b": b, "total": t, "op": op, **item}
        self.themes.append("count")
        return True

    def play(self):
        self.say("play_friend" if self.friend_met else "play_alone")
        return True

    def scene(self):
        """Sentences about other people around: only in outdoor public places."""
        if self.indoor or self.kind_of_place in self.lang.no_scene_places:
            return False
        for _ in range(self.rng.choice(self.lang.scene_counts)):
            self.lang.scene_parts(self)
            self.say("scene")
        return True

    def snack(self):
        self.ctx["with_f"] = " with " + self.ctx["F"] if self.friend_met else ""
        self.say("snack")
        return True

    def talk(self):
        self.say(self.lang.talk_template)
        return True

    # -- the skeleton
    def build(self) -> str:
        rng, lang = self.rng, self.lang
        lang.cast(self)
        self.opening()
        if rng.random() < 0.6:
            self.obtain_at_home()
        else:
            self.obtain_at_place()
        self.para(0.6)
        target = rng.randint(*lang.target_range)
        weights = lang.weights
        order = sorted(weights, key=lambda k: -rng.random() ** (1.0 / weights[k]))
        for ev in order:
            if self.words + lang.ending_words >= target:
                break
            if getattr(self, ev)():
                self.para(0.4)
        while self.words < lang.min_words:
            getattr(self, rng.choice(lang.fillers))()
        self.para(0.5)
        if rng.random() < 0.92:
            self.say("feeling")
            self.facts["feeling"] = self.ctx["feel"]
        if lang.go_home_p and rng.random() < lang.go_home_p:
            self.say("go_home")
        if rng.random() < 0.6:
            theme = rng.choice(self.themes) if self.themes and rng.random() < 0.8 else "general"
            self.ctx["lesson"] = lang.words.LESSONS[theme]
            self.say("moral")
        for idx in rng.sample(range(len(self.T["closer"])), rng.choice((1, 1, 2))):
            self.say("closer", idx)
        if self.friend_met and rng.random() < 0.4:
            self.say("closer_friend")
        if lang.the_end_p and rng.random() < lang.the_end_p:
            self.say_raw("the end.")
        return self.text()


def build_story(lang: Language, rng: random.Random) -> tuple[str, dict]:
    """(text, facts) of the first built story whose length is in lang.length_range (50 tries)."""
    lo, hi = lang.length_range
    for _ in range(50):
        b = StoryBuilder(lang, rng)
        text = b.build()
        if lo <= lang.measure(text) <= hi:
            return text, b.facts
    return text, b.facts  # pragma: no cover - practically unreachable
