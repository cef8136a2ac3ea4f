"""Chinese: the cast, descriptions and numerals of the story builder, plus what questions and
answers need to know about Chinese (measure words, numerals, pools of wrong answers).
Words: data/words_zh.json; templates: data/templates_zh.json."""

from __future__ import annotations

import functools
import random
import re

from .builder import StoryBuilder, pick2, pick_helper
from .language import Language
from .lexicon import ZH as W
from .templates import Templates, finish_zh

DIGITS = "零一二三四五六七八九"
CJK_RE = re.compile(r"[\u3400-\u9fff]")
REDUP_ADJ = frozenset(W.REDUP_ADJ)
GRADABLE_ADJ = [a for a in W.OBJ_ADJ if a not in REDUP_ADJ and a != "崭新"]
OBJ = {name: (m, kind) for name, m, kind in W.OBJECTS}
OBJ_NAMES = [o[0] for o in W.OBJECTS]
PLACE_INFO = {name: (indoor, sights) for name, indoor, sights in W.PLACES}
PLACE_NAMES = [p[0] for p in W.PLACES]
ON_PLACES = frozenset(W.ON_PLACES)
HELPER_PRON = dict(W.HELPERS)
ANIMAL_M = dict(W.ANIMALS)
ANIMAL_NAMES = [a for a, _ in W.ANIMALS]
HERO_M = dict(W.HERO_ANIMALS)
HERO_KINDS = [a for a, _ in W.HERO_ANIMALS]
ALL_NAMES = W.GIRL_NAMES + W.BOY_NAMES
ITEMS = {name: (m, g) for name, m, g in W.ITEMS}
BASE_CTX = dict(
    c_adj=W.CHAR_ADJ, c_adj2=W.CHAR_ADJ, home_spot=W.HOME_SPOTS, game=W.GAMES, food=W.FOODS,
    dream=W.DREAMS, toyname=W.PET_NAMES, container=W.CONTAINERS, season=W.SEASONS, petname=W.PET_NAMES,
    song=W.SONGS, picture=W.PICTURES, pretend=W.PRETEND, an_adj=W.ANIMAL_ADJ,
)


def zh_num(n: int, measure: bool = True) -> str:
    """Chinese numeral for 0..99; with measure=True, 2 is 两 (两个苹果)."""
    if n == 2 and measure:
        return "两"
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else DIGITS[tens]
    return head + "十" + (DIGITS[ones] if ones else "")


def zh_len(text: str) -> int:
    """CJK characters in text."""
    return len(CJK_RE.findall(text))


@functools.lru_cache(maxsize=None)
def animals_for(place: str, indoor: bool) -> list:
    out = []
    for animal in ANIMAL_NAMES:
        kind = W.ANIMAL_KIND[animal]
        if kind in ("bird", "bug", "small", "pet"):
            out.append(animal)
        elif indoor:
            continue
        elif kind == "water" and place in W.WATER_PLACES:
            out.append(animal)
        elif kind == "farm" and place in W.FARM_PLACES:
            out.append(animal)
        elif kind == "wild" and place in W.WILD_PLACES and (animal != "熊猫" or place in ("竹林", "动物园")):
            out.append(animal)
    return out


def use_phrase(obj: str, kind: str) -> tuple[str, str]:
    """(short verb, verb phrase with the object) for using an object."""
    if kind == "wear":
        v = W.WEAR_VERB.get(obj, "戴")
        return v, v + obj
    if kind == "music":
        v = W.MUSIC_VERB.get(obj, "玩")
        return v, v + obj
    if kind == "art":
        return "画画", "用" + obj + "画画"
    if kind == "ride":
        return "骑", "骑" + obj
    if kind == "paper":
        return "看", "看" + obj
    if kind == "carry":
        return "拿着玩", "拿着" + obj + "玩"
    return "玩", "玩" + obj


class Chinese(Language):
    code = "zh"
    words = W
    joiner = ""
    length_range = (120, 450)
    target_range = (130, 430)
    weights = dict(meet=3.0, animal=1.5, problem=2.0, share=1.2, count=2.0, play=1.2, snack=0.7, scene=2.0)
    ending_words = 40
    min_words = 95
    fillers = ("play", "snack", "talk")
    meet_templates = ("meet", "meet")
    meet_talk_p = 0.5
    scene_p = 0.35
    scene_counts = (1, 2, 2, 3)
    find_place_p = None
    talk_template = "describe_obj"
    outdoor_problems = ("puddle",)

    def __init__(self):
        self.templates = Templates("zh")
        self.opener_groups = frozenset(self.templates.opener_groups)

    # -- sentences
    def finish(self, s: str) -> str:
        return finish_zh(s)

    def count_words(self, s: str) -> int:
        return len(s)

    def measure(self, text: str) -> int:
        return zh_len(text)

    def open(self, b: StoryBuilder, name: str, s: str) -> str:
        if name in self.opener_groups and b.rng.random() < 0.25 and s.startswith(b.ctx["H"]):
            return b.rng.choice(self.templates.openers) + s
        return s

    # -- cast and setting
    def cast(self, b: StoryBuilder) -> None:
        rng = b.rng
        c = b.ctx = dict(BASE_CTX)
        b.animal_hero = rng.random() < 0.3
        if b.animal_hero:
            name = rng.choice(W.PET_NAMES)
            kind = rng.choice(HERO_KINDS)
            km = HERO_M[kind]
            he = rng.choice("他她")
        else:
            if rng.random() < 0.5:
                name, he, kind = rng.choice(W.GIRL_NAMES), "她", "小女孩"
            else:
                name, he, kind = rng.choice(W.BOY_NAMES), "他", "小男孩"
            km = "个"
        c.update(H=name, he=he, kind=kind, km=km)
        b.animal_friend = rng.random() < (0.8 if b.animal_hero else 0.2)
        while True:
            if b.animal_friend:
                fname, fkind = rng.choice(W.PET_NAMES), rng.choice(HERO_KINDS)
                fkm, fhe = HERO_M[fkind], rng.choice("他她")
            elif rng.random() < 0.5:
                fname, fhe, fkind, fkm = rng.choice(W.GIRL_NAMES), "她", "小女孩", "个"
            else:
                fname, fhe, fkind, fkm = rng.choice(W.BOY_NAMES), "他", "小男孩", "个"
            if fname != name:
                break
        c.update(F=fname, fhe=fhe, fkind=fkind, fkm=fkm, fc_adj=rng.choice(W.CHAR_ADJ))
        helper = pick_helper(rng, W.HELPER_FAMILY, W.HELPER_TITLED, (name, fname))
        c["M"], c["mhe"] = helper, HELPER_PRON[helper]
        c["act"], c["act2"] = rng.sample(W.ACTIVITIES, 2)
        c["f_act"] = rng.choice(W.ACTIVITIES)
        c["pet"] = pet = rng.choice(W.PETS)
        c["petname"] = rng.choice([p for p in rng.sample(W.PET_NAMES, 3) if p not in (name, fname)])
        c["his_pet"] = he + "的" + pet
        obj = rng.choice(OBJ_NAMES)
        om, okind = OBJ[obj]
        info = W.KINDS[okind]
        col = rng.choice(W.COLOURS)
        c.update(obj=obj, om=om, col=col, col_like=W.COLOUR_LIKE[col])
        c["use_short"], c["use_phrase"] = use_phrase(obj, okind)
        i = int(rng.random() * len(info["broke"]))
        c["broke"], c["fix"] = info["broke"][i], info["fix"][i % len(info["fix"])]
        b.okind, b.light = okind, info["light"]
        if okind == "ride":
            c["home_spot"] = W.RIDE_HOME_SPOTS
        adj = rng.choice(W.OBJ_ADJ)
        c["oa_attr"] = adj + "的"
        c["oa_pred"] = (adj + "的") if adj in REDUP_ADJ else ("非常" + adj)
        c["oa_g"] = rng.choice(GRADABLE_ADJ)
        place = rng.choice(PLACE_NAMES)
        indoor, sights = PLACE_INFO[place]
        b.indoor, b.kind_of_place = indoor, place
        c["place"] = place
        c["place_loc"] = place + "上" if place in ON_PLACES else place
        c["pa1"], c["pa2"] = pick2(rng, W.PLACE_ADJ)
        c["s1"], c["s2"] = pick2(rng, sights)
        c["spot"] = W.IN_SPOTS if indoor else W.OUT_SPOTS
        c["feel"], c["neg"] = rng.choice(W.POS_FEEL), rng.choice(W.NEG_FEEL)
        c["weather"], c["tod"] = rng.choice(list(W.WEATHER)), rng.choice(W.TIMES)
        build, bm, material = rng.choice(W.BUILDS)
        c.update(build=build, bm=bm, material=material)
        b.facts.update(hero=name, pronoun=he, kind=kind, object=obj, colour=col, place=place)

    # -- events
    def animals_for(self, place: str, indoor: bool) -> list:
        return animals_for(place, indoor)

    def animal_ctx(self, c: dict, animal: str) -> None:
        c["animal"], c["am"] = animal, ANIMAL_M[animal]
        c["a_act"] = W.ANIMAL_ACTS_BY_KIND[W.ANIMAL_KIND[animal]]

    def scene_parts(self, b: StoryBuilder) -> None:
        rng, c = b.rng, b.ctx
        for k in ("", "2"):
            person = rng.choice(W.SCENE_PERSON)
            adj = rng.choice(W.SCENE_PERSON_ADJ) + "的" if rng.random() < 0.7 else ""
            c["sc_who" + k] = ("一位" if person != "一家人" else "") + adj + person
            c["sc_act" + k] = rng.choice(W.SCENE_ACT)
            if not k:
                c["sc_who_short"] = person
        c["sc_spot"] = rng.choice(W.SCENE_SPOT)

    def count_items(self, b: StoryBuilder) -> tuple[str, dict]:
        item = b.rng.choice(list(ITEMS))
        im, group = ITEMS[item]
        b.ctx.update(item=item, im=im, gather=W.GATHER[group], gather_more=W.GATHER_MORE[group])
        return group, {"item": item, "measure": im}

    def count_numbers(self, c: dict, a: int, b: int, t: int, item: dict) -> None:
        c.update(n_a=zh_num(a), n_b=zh_num(b), n_t=zh_num(t),
                 n_a_p=zh_num(a, False), n_b_p=zh_num(b, False), n_t_p=zh_num(t, False))

    # -- questions and answers
    pools = {
        "colour": W.COLOURS, "object": OBJ_NAMES, "place": PLACE_NAMES, "feeling": W.POS_FEEL,
        "animal": ANIMAL_NAMES, "weather": list(W.WEATHER), "time": W.TIMES + ["中午", "晚上", "半夜"],
        "giver": [h for h, _ in W.HELPERS],
    }
    pet_names, all_names = W.PET_NAMES, ALL_NAMES
    _pet_set = frozenset(W.PET_NAMES)

    def name_pool(self, answer: str) -> list:
        return self.pet_names if answer in self._pet_set else self.all_names

    def number(self, n: int, measure: bool = True) -> str:
        return zh_num(n, measure)

    def contains(self, text: str, phrase: str) -> bool:
        """A substring (Chinese has no spaces between words)."""
        return phrase in text

    def same_kind_of_place(self, a: str, b: str) -> bool:
        return False

    def qa_ctx(self, story, kind: str) -> dict:
        f = story.facts
        c = {"H": f["hero"], "obj": f["object"], "col": f["colour"], "kind": f.get("kind", "")}
        c["pron"] = f.get("pronoun", "他")
        c["om"] = OBJ.get(f["object"], ("个",))[0]
        c["tod"] = f.get("time", "早晨")
        if kind == "sum":
            c["item"] = f["sum"]["item"]
            c["im"] = f["sum"].get("measure") or ITEMS.get(f["sum"]["item"], ("个",))[0]
        return c

    def answer_ctx(self, c: dict, kind: str, value: str) -> None:
        if kind == "object":
            c["Xm"] = OBJ.get(value, ("个",))[0]
        if kind == "animal":
            c["Xm"] = ANIMAL_M.get(value, "只")

    def arithmetic_text(self, rng: random.Random, op: str, a: int, b: int, t: int, shown: int, bare: bool):
        if bare:
            w = "加" if op == "+" else "减"
            ap, bp, tp = zh_num(a, False), zh_num(b, False), zh_num(shown, False)
            return f"{ap}{w}{bp}等于多少？", f"{ap}{w}{bp}等于{tp}。", zh_num(t, False)
        name = rng.choice(ALL_NAMES)
        item = rng.choice(list(ITEMS))
        m = ITEMS[item][0]
        na, nb, nt = zh_num(a), zh_num(b), zh_num(shown)
        if op == "+":
            q = f"{name}有{na}{m}{item}，又得到了{nb}{m}。{name}现在一共有多少{m}{item}？"
            ans = f"{name}现在一共有{nt}{m}{item}。"
        else:
            q = f"{name}有{na}{m}{item}，送给朋友{nb}{m}。{name}还剩下多少{m}{item}？"
            ans = f"{name}还剩下{nt}{m}{item}。"
        return q, ans, zh_num(t)


CHINESE = Chinese()
