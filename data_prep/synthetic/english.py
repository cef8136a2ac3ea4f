"""English: the cast, descriptions and sentence finishing of the story builder, plus what
questions and answers need to know about English (pools of wrong answers, numbers, arithmetic).
Words: data/words_en.json; templates: data/templates_en.json."""

from __future__ import annotations

import functools
import random
import re

from .builder import StoryBuilder, pick2, pick_helper
from .language import Language
from .lexicon import EN as W, gerund, plural
from .templates import AN_MARK, Templates, finish_en

PRON = {
    "he": dict(he="he", him="him", his="his", himself="himself", was="was"),
    "she": dict(he="she", him="her", his="her", himself="herself", was="was"),
    "they": dict(he="they", him="them", his="their", himself="themself", was="were"),
}
OBJ_KIND = {name: kind for name, kind in W.OBJECT_LIST}
OBJ_NAMES = [name for name, _ in W.OBJECT_LIST]
PLACE_INFO = {name: (indoor, sights.split("|")) for name, indoor, sights in W.PLACES}
PLACE_NAMES = [p[0] for p in W.PLACES]
NAMED_PLACE_NAMES = [("the " if art else "") + w + " " + suffix
                     for kind, (suffix, art) in W.NAMED_PLACES.items() for w in W.PLACE_NAME_WORDS]
PLACE_TYPE = {p: p for p in PLACE_NAMES}  # "Willow Park" -> "the park": same kind of place
PLACE_TYPE.update({("the " if art else "") + w + " " + suffix: kind
                   for kind, (suffix, art) in W.NAMED_PLACES.items() for w in W.PLACE_NAME_WORDS})
ANIMAL_CAT = dict(W.ANIMALS)
ANIMAL_NAMES = [a for a, _ in W.ANIMALS]
HELPER_PRON = dict(W.HELPERS)
HELPER_NAMES = [h for h, _ in W.HELPERS]
ACTS = [(a, gerund(a)) for a in W.ACTIVITIES]
BUILDS = [f"{b} out of {m}" for b, m in W.BUILDS]
SCENE_VERBS = list(W.SCENE_VERB_OBJ)
BASE_CTX = dict(
    c_adj=W.CHAR_ADJ, town_adj=W.TOWN_ADJ, town=W.TOWNS, home_desc=W.HOME_DESC, home_near=W.HOME_NEAR,
    animal_home=W.ANIMAL_HOMES, hair=W.HAIR, age=W.AGES, pet=W.PETS, petname=W.PET_NAMES,
    dream_goal=W.DREAM_GOALS, home_spot=W.HOME_SPOTS, move=W.MOVES, an_adj=W.ANIMAL_ADJ, game=W.GAMES,
    build=BUILDS, song=W.SONGS, picture=W.PICTURES, food=W.FOODS, food_adj=W.FOOD_ADJ, wonder=W.WONDERS,
    dream=W.DREAMS, scare=W.SCARES, feature=W.FEATURES, day=W.DAYS, season=W.SEASONS, toyname=W.PET_NAMES,
    container=W.CONTAINERS, adv=W.ADVERBS, said=W.SAID, pretend=W.PRETEND,
    hero_walk=W.HERO_WALKS,
    town_thing=W.TOWN_THINGS, town_place=W.TOWN_PLACES,
)
_WORDS_RE = re.compile(r"\w+")


def set_person(ctx: dict, prefix: str, pron: str) -> None:
    for k, v in PRON[pron].items():
        ctx[prefix + k] = v


def n_items(n: int, sing: str, plur: str) -> str:
    return f"{n} {sing if n == 1 else plur}"


@functools.lru_cache(maxsize=None)
def animals_for(place: str, indoor: bool) -> list:
    """Animals that can plausibly be seen at a place (indoors: through the window)."""
    cats = {"bird", "bug", "small", "pet"}
    if not indoor:
        if place in W.WATER_PLACES:
            cats.add("water")
        if place in W.NATURE_PLACES:
            cats.add("wild")
        if place in W.FARM_PLACES:
            cats.add("farm")
    out = []
    for animal, cat in W.ANIMALS:
        if place in W.ZOO_PLACES and not indoor:
            out.append(animal)
        elif animal in W.EXOTIC_ANIMALS:
            if animal in W.SEA_ANIMALS and place in W.SEA_PLACES and not indoor:
                out.append(animal)
        elif cat in cats:
            out.append(animal)
    return out


@functools.lru_cache(maxsize=1 << 16)
def _norm(s: str) -> str:
    return " " + " ".join(_WORDS_RE.findall(s.lower())) + " "


def _person(rng, neutral_p, girl_p, neutral_prons):
    r = rng.random()
    if r < neutral_p:
        return rng.choice(W.NEUTRAL_NAMES), rng.choice(neutral_prons)
    if r < girl_p:
        return rng.choice(W.GIRL_NAMES), "she"
    return rng.choice(W.BOY_NAMES), "he"


class English(Language):
    code = "en"
    words = W
    joiner = " "
    length_range = (80, 300)
    target_range = (85, 275)
    weights = dict(meet=3.0, animal=1.5, problem=2.0, share=1.2, count=2.0, play=1.2, snack=0.7, talk=0.7, scene=2.5)
    ending_words = 28
    min_words = 62
    fillers = ("talk", "play", "snack")
    meet_templates = ("meet_child", "meet_animal")
    meet_talk_p = 0.6
    share_after_p = 0.4
    count_intro_p = 0.25
    describe_out_p = 0.3
    scene_p = 0.3
    scene_counts = (1, 1, 2)
    no_scene_places = ("the backyard",)
    find_place_p = 0.85
    talk_template = "talk"
    go_home_p = 0.35
    the_end_p = 0.08
    agent_keys = ("he", "him", "his")
    indoor_problems = ("reach",)
    outdoor_problems = ("puddle", "rain", "lostway")
    animal_sounds = W.ANIMAL_SOUNDS

    def __init__(self):
        self.templates = Templates("en")

    # -- sentences
    def finish(self, s: str) -> str:
        return finish_en(s)

    def count_words(self, s: str) -> int:
        return s.count(" ") + 1

    def measure(self, text: str) -> int:
        return len(text.split())

    def open(self, b: StoryBuilder, name: str, s: str) -> str:
        """Put a short opener ("Then,", "Smiling,") before a sentence that starts with the hero."""
        kind = self.templates.opener_groups.get(name)
        if kind is None or not b.rng.random() < 0.25:
            return s
        c = b.ctx
        h = c["H"]
        if s.startswith(h + " ") and not s.startswith(h + "'s"):
            rest = s
            if s[len(h) + 1:].split(" ", 1)[0] in self.templates.state_verbs:
                return s
        else:
            p = c["he"].capitalize()
            if not s.startswith(p + " "):
                return s
            rest = c["he"] + s[len(p):]
            if rest[len(p) + 1:].split(" ", 1)[0] in self.templates.state_verbs:
                return s
        t = self.templates
        pool = t.openers_happy if kind == "happy" and b.rng.random() < 0.5 else t.openers
        return pool[int(b.rng.random() * len(pool))] + " " + rest

    # -- cast and setting
    def cast(self, b: StoryBuilder) -> None:
        rng = b.rng
        c = b.ctx = dict(BASE_CTX)
        b.animal_hero = rng.random() < 0.3
        if b.animal_hero:
            pron = "she" if rng.random() < 0.5 else "he"
            name = rng.choice(W.PET_NAMES)
            kind = rng.choice(W.HERO_ANIMALS)
        else:
            name, pron = _person(rng, 0.12, 0.56, ("they", "they", "she", "he"))
            kind = {"she": "girl", "he": "boy", "they": "kid"}[pron]
        c["H"], c["kind"] = name, kind
        set_person(c, "", pron)
        # friend: an animal for animal heroes (mostly), a child otherwise (mostly)
        animal_friend = rng.random() < (0.8 if b.animal_hero else 0.2)
        while True:
            if animal_friend:
                fname, fpron = rng.choice(W.PET_NAMES), rng.choice(("she", "he"))
                fkind = rng.choice(W.HERO_ANIMALS)
            else:
                fname, fpron = _person(rng, 0.1, 0.55, ("they", "she", "he"))
                fkind = {"she": "girl", "he": "boy", "they": "kid"}[fpron]
            if fname != name:
                break
        b.animal_friend = animal_friend
        c["F"], c["fkind"], c["fc_adj"] = fname, fkind, rng.choice(W.CHAR_ADJ)
        set_person(c, "f", fpron)
        c["fhair"] = W.HAIR
        c["f_doing"] = [d.replace("{H}", name) for d in W.F_DOING]
        f_base, f_ger = rng.choice(ACTS)
        c["f_act"], c["f_act_base"] = f_ger, f_base
        helper = pick_helper(rng, W.HELPER_FAMILY, W.HELPER_TITLED, (name, fname))
        c["M"] = helper
        set_person(c, "m", HELPER_PRON[helper])
        (a1, g1), (a2, g2) = rng.sample(ACTS, 2)
        c["act"], c["act_base"], c["act2"], c["act2_base"] = g1, a1, g2, a2
        c["pet"] = rng.choice(W.PETS)
        c["petname"] = rng.choice([p for p in rng.sample(W.PET_NAMES, 3) if p not in (name, fname)])
        c["c_adj2"] = W.CHAR_ADJ
        obj = rng.choice(OBJ_NAMES)
        okind = OBJ_KIND[obj]
        info = W.OBJECT_KINDS[okind]
        col = rng.choice(W.COLOURS)
        c["obj"], c["col"], c["col_like"] = obj, col, W.COLOUR_LIKE[col]
        c["use"], c["used"], c["using"] = info["use"], info["used"], info["using"]
        i = int(rng.random() * len(info["broke"]))
        c["broke"], c["fix"] = info["broke"][i], info["fix"][i]
        b.okind, b.light = okind, info["light"]
        if okind == "ride":  # bikes and sleds are not found under pillows
            c["home_spot"] = W.RIDE_HOME_SPOTS
        c["oa1"], c["oa2"] = pick2(rng, W.OBJ_ADJ)
        his = c["his"]
        c["the_obj"] = [f"the {obj}"] * 4 + [f"{his} {obj}"] * 2 + [
            f"the {col} {obj}", f"{his} {col} {obj}", f"the {c['oa1']} {obj}", f"{his} {c['oa1']} {obj}"]
        kind_of_place = rng.choice(PLACE_NAMES)
        place = kind_of_place
        if kind_of_place in W.NAMED_PLACES and rng.random() < 0.4:
            suffix, article = W.NAMED_PLACES[kind_of_place]
            place = ("the " if article else "") + rng.choice(W.PLACE_NAME_WORDS) + " " + suffix
        indoor, sights = PLACE_INFO[kind_of_place]
        b.indoor, b.kind_of_place = indoor, kind_of_place
        c["place"] = place
        c["at_place"] = W.PLACE_PREP.get(kind_of_place, "at") + " " + place
        c["pa1"], c["pa2"] = pick2(rng, W.PLACE_ADJ)
        c["s1"], c["s2"] = pick2(rng, sights)
        c["spot"] = W.INDOOR_SPOTS if indoor else W.OUTDOOR_SPOTS
        c["feel"], c["neg"] = rng.choice(W.POS_FEEL), rng.choice(W.NEG_FEEL)
        c["weather"], c["tod"] = rng.choice(list(W.WEATHER)), rng.choice(W.TIMES)
        b.facts.update(hero=name, pronoun=pron, kind=kind, object=obj, colour=col, place=place)

    # -- events
    def animals_for(self, place: str, indoor: bool) -> list:
        return animals_for(place, indoor)

    def animal_ctx(self, c: dict, animal: str) -> None:
        cat = ANIMAL_CAT[animal]
        c["animal"], c["a_act"], c["a_move"] = animal, W.ANIMAL_ACTS[cat], W.ANIMAL_MOVES[cat]

    def scene_parts(self, b: StoryBuilder) -> None:
        rng, c = b.rng, b.ctx
        for k in ("", "2"):
            adj = rng.choice(W.SCENE_PERSON_ADJ) + " " if rng.random() < 0.75 else ""
            c["sc_who" + k] = f"{AN_MARK} {adj}{rng.choice(W.SCENE_PERSON)}"
            verb = rng.choice(SCENE_VERBS)
            adv = rng.choice(W.ADVERBS) + " " if rng.random() < 0.3 else ""
            c["sc_act" + k] = f"{adv}{verb} {rng.choice(W.SCENE_VERB_OBJ[verb])}"
        adj = rng.choice(W.SCENE_SPOT_ADJ) + " " if rng.random() < 0.7 else ""
        c["sc_where"] = f"{rng.choice(W.SCENE_SPOT_PREP)} the {adj}{rng.choice(W.SCENE_SPOT)}"

    def count_items(self, b: StoryBuilder) -> tuple[str, dict]:
        sing, plur, group = b.rng.choice(W.COUNT_ITEMS)
        b.ctx["gather"] = W.GATHER[group]
        return group, {"item": sing, "items": plur}

    def count_numbers(self, c: dict, a: int, b: int, t: int, item: dict) -> None:
        sing, plur = item["item"], item["items"]
        c["n_a"], c["n_b"], c["n_t"] = str(a), str(b), str(t)
        c["n_a_items"], c["n_t_items"] = n_items(a, sing, plur), n_items(t, sing, plur)
        c["items"], c["were_a"] = plur, "was" if a == 1 else "were"

    # -- questions and answers
    pools = {
        "colour": W.COLOURS, "object": OBJ_NAMES, "place": PLACE_NAMES * 15 + NAMED_PLACE_NAMES,
        "feeling": W.POS_FEEL, "animal": ANIMAL_NAMES, "weather": list(W.WEATHER),
        "time": W.TIMES + ["night", "noon", "midnight"], "giver": HELPER_NAMES,
    }
    pet_names, all_names = W.PET_NAMES, W.ALL_NAMES
    _pet_set = frozenset(W.PET_NAMES)

    def name_pool(self, answer: str) -> list:
        return self.pet_names if answer in self._pet_set else self.all_names

    def number(self, n: int, measure: bool = True) -> str:
        return str(n)

    def contains(self, text: str, phrase: str) -> bool:
        """Whole words, any case."""
        return _norm(phrase) in _norm(text)

    def same_kind_of_place(self, a: str, b: str) -> bool:
        return PLACE_TYPE.get(a, a) == PLACE_TYPE.get(b, b)

    def qa_ctx(self, story, kind: str) -> dict:
        f = story.facts
        c = {"H": f["hero"], "obj": f["object"], "col": f["colour"], "kind": f.get("kind", "")}
        c["pron"] = f.get("pronoun", "they")
        if kind == "sum":
            s = f["sum"]
            c["item"] = s["item"]
            c["items"] = s.get("items") or plural(s["item"])
        return c

    def answer_ctx(self, c: dict, kind: str, value: str) -> None:
        if kind == "sum":
            c["X_items"] = n_items(int(value), c["item"], c["items"])

    def arithmetic_text(self, rng: random.Random, op: str, a: int, b: int, t: int, shown: int, bare: bool):
        """(question, answer sentence stating `shown`, short answer) of a sum or difference."""
        if bare:
            word = "plus" if op == "+" else "minus"
            if rng.random() < 0.5:
                return f"What is {a} {word} {b}?", f"{a} {word} {b} is {shown}.", str(t)
            return f"What is {a} {op} {b}?", f"{a} {op} {b} = {shown}.", str(t)
        name = rng.choice(W.ALL_NAMES)
        pron = "she" if name in W.GIRL_NAMES else "he" if name in W.BOY_NAMES else rng.choice(("they", "she", "he"))
        p = PRON[pron]
        sing, plur, group = rng.choice(W.COUNT_ITEMS)
        na, nt = n_items(a, sing, plur), n_items(shown, sing, plur)
        verb = rng.choice(W.GATHER[group])
        if op == "+":
            q = rng.choice([
                f"{name} had {na}. {p['he'].capitalize()} {verb} {b} more. How many {plur} did {name} have then?",
                f"{name} had {na}. A friend gave {p['him']} {b} more. How many {plur} did {name} have in all?",
                f"There were {na} in a basket. {name} put in {b} more. How many {plur} were in the basket?",
            ])
            ans = (f"There were {nt} in the basket." if q.startswith("There") else f"{name} had {nt} in all.")
        else:
            q = rng.choice([
                f"{name} had {na}. {p['he'].capitalize()} gave {b} to a friend. How many {plur} did {name} have left?",
                f"{name} had {na}. {p['he'].capitalize()} lost {b} of them. How many {plur} were left?",
            ])
            ans = f"{name} had {nt} left."
        return q, ans, str(t)


ENGLISH = English()
