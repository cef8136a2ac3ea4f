"""The suite's embedded default corpus: seeded, checkable children's stories, dialogues and preference pairs.

Stories are TinyStories-like (English by default, Chinese with ``--lang zh``) and are built on facts
that can be checked: who had which object, its colour, where they went, whom they met, what they
felt, and small sums ("Mia had 3 shells. Then she found 4 more. Now she had 7 shells."). Every
story carries those facts in ``Story.facts``; later stages turn them into question/answer
dialogues (supervised fine-tuning) and chosen/rejected answer pairs (reward model, DPO).

Commands::

    python -m data_prep.synthetic --out data/synthetic                # 20000/500/500 English stories
    python -m data_prep.synthetic --out data/synthetic-zh --lang zh   # the same in Chinese
    python -m data_prep.synthetic --out DIR --seed 1 --train-stories 5000 --val-stories 200 --test-stories 200
    python -m data_prep.synthetic --stats --words 15000000            # richness of 15M words of train stories
    python -m data_prep.synthetic --stats --words 20000000 --lang zh  # for Chinese, N counts characters

Output of ``--out DIR``: ``stories_{train,val,test}.jsonl`` ({"id", "text", "facts"} per line),
``dialogues_{split}.jsonl`` and ``preferences_{split}.jsonl`` (one of each per story) and
``manifest.json`` (seed, language, counts, word counts, generator version). Files are written in a
temporary folder beside DIR and moved into place, ``manifest.json`` last: a folder without a
manifest is not a finished corpus.

Splits: every (seed, split, lang, index) has its own random stream, so ``iter_stories`` is
deterministic and val/test never draw from train's streams; ``write_corpus`` also drops any train
story whose text hash appears in val or test (and any exact repeat within a split).

Richness, measured with ``corpus_stats`` on the train stream of seed 0 (English words are
lower-cased runs of letters, digits and apostrophes, punctuation dropped; Chinese tokens are CJK
characters; 4-grams never cross a story boundary):

    python -m data_prep.synthetic --stats --words 15000000
        English, 15,000,005 words (roughly 20M BPE tokens) in 77,213 stories (194 words each):
        vocabulary 4,453 words; distinct 4-gram ratio 0.355 (5,240,321 distinct of 14,768,366);
        duplicate stories 0. 38 s on one core, 0.5 GB peak memory.
    python -m data_prep.synthetic --stats --words 20000000 --lang zh
        Chinese, 20,000,107 characters in 72,336 stories (276 characters each): 1,142 distinct
        characters; distinct character-4-gram ratio 0.068 (1,348,530 of 19,783,099); duplicate
        stories 0. 18 s, 0.2 GB.

For comparison, a trivially templated corpus (one fixed sentence per event in a fixed order,
drawing on the same word lists, measured the same way at the same size; a throwaway script, not
part of this module) scores 0.226 in English and 0.018 in Chinese. Its short stories are nearly all
name/object/colour slots, which this statistic rewards, so the gap understates the difference in
sentence and story structure. The reference figure for TinyStories is roughly 0.1-0.3 (not
measured here). Chinese character 4-grams are not comparable with English word 4-grams
(two-character words, a deliberately smaller vocabulary).

English stories are 80-300 words, Chinese stories 120-450 characters. Speed on one core: about
4,000 English stories per second (5,000 in 1.2 s), about 8,600 Chinese; ``write_corpus`` with the
default 20000/500/500 English stories, their dialogues and preference pairs takes about 15 s.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import _synthetic_words as W

GENERATOR_VERSION = "1.0.0"
SPLITS = ("train", "val", "test")
LANGS = ("en", "zh")
DEFAULT_COUNTS = {"train": 20000, "val": 500, "test": 500}


@dataclass
class Story:
    id: str
    text: str
    facts: dict = field(default_factory=dict)


# =============================================================================================
# A tiny template language.
#   {name}      a slot: the context's value (a list value means a fresh random pick each time)
#   {a}         "a" or "an", decided by the next word once the sentence is complete
#   [x|y|z]     pick one alternative (nestable); [x|] makes x optional
# Sentence starts and the first letter after an opening quote are capitalised afterwards, so
# templates may start with a lower-case slot.
# =============================================================================================

_AN_MARK = "\x00"


def _parse(s: str, i: int = 0, stops: str = ""):
    seq, buf = [], []

    def flush():
        if buf:
            seq.append("".join(buf))
            buf.clear()

    while i < len(s):
        c = s[i]
        if c == "{":
            j = s.index("}", i)
            flush()
            name = s[i + 1:j]
            seq.append(_AN_MARK if name == "a" else (0, name))
            i = j + 1
        elif c == "[":
            flush()
            alts = []
            i += 1
            while True:
                sub, i = _parse(s, i, "|]")
                alts.append(sub)
                if s[i] == "]":
                    i += 1
                    break
                i += 1
            seq.append((1, alts))
        elif c in stops:
            flush()
            return seq, i
        else:
            buf.append(c)
            i += 1
    if stops:
        raise ValueError(f"unclosed '[' in template: {s!r}")
    flush()
    return seq, i


def _compile(templates):
    return [_parse(t)[0] for t in templates]


def _emit(seq, ctx, rng, out):
    for node in seq:
        if node.__class__ is str:
            out.append(node)
        elif node[0] == 0:
            v = ctx[node[1]]
            if v.__class__ is list:
                v = v[int(rng.random() * len(v))]
            out.append(v)
        else:
            alts = node[1]
            _emit(alts[int(rng.random() * len(alts))], ctx, rng, out)


_AN_RE = re.compile(_AN_MARK + r" (\W*)(\w+)")
_A_EXCEPT = ("uni", "use", "usu", "eu", "one", "once", "ukulele")
_AN_EXCEPT = ("hour", "honest", "honor", "heir")


def _a_or_an(m):
    w = m.group(2).lower()
    if w[0] in "aeiou":
        art = "a" if w.startswith(_A_EXCEPT) else "an"
    else:
        art = "an" if w.startswith(_AN_EXCEPT) else "a"
    return f"{art} {m.group(1)}{m.group(2)}"


_SPACES_RE = re.compile(r" {2,}")
_SPACE_PUNCT_RE = re.compile(r" +([,.!?])")
_CAP_RE = re.compile(r'((?:^|[.!?]\s+)"?|\s")([a-z])')


def _finish_en(text: str) -> str:
    text = _AN_RE.sub(_a_or_an, text.strip())
    text = _SPACES_RE.sub(" ", text)
    text = _SPACE_PUNCT_RE.sub(r"\1", text)
    return _CAP_RE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def _gerund(phrase: str) -> str:
    verb, _, rest = phrase.partition(" ")
    if verb in W.DOUBLE_FINAL:
        g = verb + verb[-1] + "ing"
    elif verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        g = verb[:-1] + "ing"
    else:
        g = verb + "ing"
    return g + (" " + rest if rest else "")


def _n_items(n: int, sing: str, plur: str) -> str:
    return f"{n} {sing if n == 1 else plur}"


def _pick2(rng, seq):
    a, b = rng.sample(seq, 2)
    return a, b


# =============================================================================================
# English templates
# =============================================================================================

T = {}

# spoken-style contractions, used about half of the time ("could not" / "couldn't")
_CONTRACTIONS = [(re.compile(r"\b" + re.escape(full) + r"\b"), f"[{full}|{short}]") for full, short in (
    ("could not", "couldn't"), ("did not", "didn't"), ("was not", "wasn't"), ("do not", "don't"),
    ("it is", "it's"), ("I am", "I'm"), ("we will", "we'll"), ("you are", "you're"), ("I will", "I'll"),
    ("let us", "let's"), ("that is", "that's"), ("there is", "there's"))]


def _t(name, *templates):
    out = []
    for t in templates:
        for pattern, repl in _CONTRACTIONS:
            t = pattern.sub(repl, t)
        out.append(t)
    T[name] = _compile(out)


_t("open_child",
   "once upon a time, there was {a} {c_adj} {kind} named {H}.",
   "once upon a time, in {a} {town_adj} {town}, there lived {a} {c_adj} {kind} named {H}.",
   "there was once {a} {c_adj} little {kind} called {H}.",
   "{H} was {a} {c_adj} {kind} who loved {act}.",
   "{H} was {age} years old, and {he} {was} [very |really |always ]{c_adj}.",
   "once there was {a} {kind} named {H}. {he} lived in {a} {home_desc} [near|by|not far from] {home_near}.",
   "in {a} {home_desc} [near|by] {home_near}, there lived {a} {c_adj} {kind} named {H}.",
   "{H} was {a} [little|young|small|{c_adj}] {kind} with {hair}.",
   "this is a story about {a} {c_adj} {kind} named {H}.",
   "long ago, in {a} {town_adj} {town}, there was {a} {kind} named {H}.",
   "{H} lived with {his} family in {a} {home_desc} [near|by] {home_near}.",
   "every [morning|day|weekend], {H} liked {act}. {he} {was} {a} [very |]{c_adj} {kind}.",
   "not far from {home_near}, there lived {a} {c_adj} {kind}. [{his} name was {H}.|everyone called {him} {H}.]",
   "{H} was {a} {c_adj} {kind} [who lived in|from] {a} {town_adj} {town}.",
   "meet {H}! {he} {was} {a} {c_adj} {kind} [with {hair}|who loved {act}].",
   "there was {a} {kind} named {H} who [lived|played|laughed] [all day |]in {a} {town_adj} {town}.",
   "{H} was {a} {c_adj}, {c_adj2} {kind} who lived [with {M}|with {his} family] in {a} {home_desc}.",
   "in {a} {town_adj} {town} full of {town_thing}, there lived {a} {kind} called {H}.",
   "{H} was only {age}, but {he} {was} already very good at {act}.",
   "everyone in the {town_adj} {town} knew {H}, the {c_adj} {kind} with {hair}.",
   "{H} lived [next to|across from|behind] {town_place} in {a} {town_adj} {town}.",
   )
_t("open_animal",
   "once upon a time, there was {a} {c_adj} little {kind} named {H}.",
   "deep in the [woods|forest|meadow|hills], there lived {a} {c_adj} {kind} called {H}.",
   "{H} was {a} [little|young|small|tiny] {kind} who lived {animal_home}.",
   "there once was {a} {kind} named {H}. {he} lived {animal_home} with {his} [mom|family|big family|grandma|two sisters].",
   "{H} the {kind} was [very |really |]{c_adj}.",
   "in {a} {town_adj} {town}, there was {a} {c_adj} {kind} called {H}.",
   "this is a story about {H}, {a} {c_adj} little {kind}.",
   "{animal_home}, there lived {a} {kind} named {H}.",
   "{H} was {a} {c_adj} {kind}. {he} lived {animal_home}.",
   "long ago, {animal_home}, there lived {a} [little |young |]{kind} called {H}.",
   "{H} was {a} {c_adj}, {c_adj2} {kind}. every day, {he} liked {act}.",
   "of all the animals {animal_home}, {H} the {kind} was the most {c_adj}.",
   )
_t("open_extra",
   "{he} loved {act2}[ more than anything| every day|].",
   "{his} favorite thing was {act2}.",
   "{he} {was} always [smiling|laughing|singing|humming|asking questions|running around|full of ideas].",
   "every [morning|day|evening], {he} liked to {act2_base}.",
   "{he} had {a} [big|small|fluffy|funny|sleepy|noisy] {pet} named {petname}.",
   "{he} [wanted|hoped] to {dream_goal} one day.",
   "{he} dreamed of the day {he} would {dream_goal}.",
   "more than anything, {he} loved {act2}.",
   "{his} friends said {he} {was} the best at {act2}.",
   "{he} liked {act} and {act2}[ best of all|].",
   "{he} {was} {c_adj2} and {c_adj}, and {he} loved {act2}.",
   "on weekends, {H} and {M} liked {act2} together.",
   "{his} {pet}, {petname}, followed {him} everywhere.",
   "{he} could {act2_base} all day long and never get tired.",
   )
_t("setting",
   "one {weather} {tod}, {H} [looked out of the window|went outside|stretched and yawned|had an idea|felt like playing].",
   "it was {a} {weather} {tod}.",
   "it was {a} {weather} {tod} in {season}.",
   "on {a} {weather} {day} {tod}, {H} [had an idea|felt like playing|wanted to go outside|could not sit still].",
   "the {tod} was {weather}, and {H} [was ready for a big day|wanted to play|had a plan].",
   "it was {a} {weather} {tod}, and {H} [was bored|wanted an adventure|looked for something to do].",
   )
_t("find_home_found",
   "one day, {H} found {a} {col} {obj} {home_spot}.",
   "{H} was [playing|looking around|cleaning {his} room|helping {M}] when {he} [found|saw|spotted|noticed] {a} {col} {obj} {home_spot}.",
   "[in the attic|in the garage|in the basement|in the old shed], {H} found {a} {oa1} {col} {obj} [under an old blanket|behind some boxes|in a dusty corner].",
   "{H} [looked|peeked] {home_spot} and [saw|found] something {col}. it was {a} {obj}!",
   "there was {a} {col} {obj} {home_spot}. {H} [picked it up|took it out|held it up] [with a smile|carefully|and smiled|].",
   "one {tod}, {H} [found|discovered] {a} {oa1} {col} {obj} {home_spot}.",
   "while {he} {was} looking for {his} [shoes|hat|ball|book], {H} found {a} {col} {obj} {home_spot}.",
   "{H} heard a [little|funny|soft] [thump|clink|rattle] {home_spot}. {he} looked and found {a} {col} {obj}!",
   )
_t("find_home_had",
   "{H} had {a} {col} {obj}. it was {his} [favorite thing|best treasure|most special thing in the world].",
   "{H} had {a} [new |little |]{col} {obj}, and {he} took it everywhere.",
   "of all {his} things, {H} liked {his} {col} {obj} [the best|most of all].",
   )
_t("find_home_given",
   "for {his} birthday, {M} gave {H} {a} [new |shiny |little |]{col} {obj}.",
   "{M} came home with a surprise. it was {a} {col} {obj}, just for {H}!",
   "{H} [really |]wanted {a} {col} {obj}. one day, {M} [gave|brought] {him} one!",
   "{M} [bought|found] {a} {col} {obj} [at the market|at a yard sale|in a little shop] and gave it to {H}.",
   "one {tod}, {M} [came in with|had] a big surprise for {H}. it was {a} {col} {obj}!",
   )
_t("find_place",
   "[there|after a while|suddenly], {H} found {a} {col} {obj} {spot}.",
   "{H} [saw|spotted|noticed] something {col} {spot}. it was {a} {obj}!",
   "suddenly, {H} [saw|spotted] {a} {oa1} {col} {obj} {spot}.",
   "while {he} {was} [looking around|walking|exploring], {H} found {a} {col} {obj}.",
   "{a} {col} {obj} was [lying|sitting|hiding] {spot}. {H} [picked it up|ran to get it|bent down to get it].",
   "{at_place}, {H} found {a} {col} {obj} {spot}.",
   "{H} looked {spot} and found {a} {oa1} {col} {obj}!",
   )
_t("find_place_given",
   "{H} [met|saw] a [kind|friendly|smiling] [lady|man|old woman|old man] who gave {him} {a} {col} {obj}.",
   "{at_place}, a [kind|friendly] lady [handed|gave] {H} {a} {col} {obj}. \"it is for you,\" she said.",
   "{at_place}, a [kind|friendly] man [handed|gave] {H} {a} {col} {obj}. \"it is for you,\" he said.",
   )
_t("describe_obj",
   "the {obj} was {oa1} and {oa2}.",
   "it was {oa1}, {col}, and [very |so |]{oa2}.",
   "it had {feature}.",
   "{H} [held|hugged|looked at] {the_obj} [and smiled|for a long time|very carefully|with big eyes].",
   "\"what {a} {oa1} {obj}!\" {H} [said|whispered|shouted].",
   "{H} [loved|liked|adored] {his} {col} {obj} [very much|so much|more than anything|with all {his} heart].",
   "{his} {obj} was the [best|nicest|prettiest|most special] {obj} in the [whole world|town|house].",
   "{H} decided to name {the_obj} {toyname}.",
   "[all day|all morning|every day|again and again], {he} {used}.",
   "{he} [wanted to|could not wait to] {use} [right away|all day|with {his} friends|again].",
   "the {obj} was as {col} as {col_like}.",
   "it was {col}, just like {col_like}.",
   "\"I will keep it forever,\" {H} [said|whispered|decided].",
   "the {obj} was {oa1}, and it had {feature}.",
   "{H} showed {the_obj} to {his} {pet}, {petname}, who [sniffed it|wagged happily|looked puzzled].",
   "{H} [polished|dusted|cleaned] {the_obj} until it looked {oa1} and new.",
   "it was not {oa2}, but it was {oa1}, and {H} liked it just the way it was.",
   )
_t("go_with",
   "[then|after that|later|the next day|after breakfast|after lunch|that afternoon|soon], {H} {move} to {place}[ with {his} {obj}|].",
   "{H} [took|brought|carried] {the_obj} to {place}[ to show {his} friends| to play|].",
   "{M} took {H} to {place} [to play|for a picnic|for a walk|to see {s1}].",
   "{H} wanted to show {his} {obj} to [everyone|{his} friends] {at_place}, so {he} {move} there [fast|right away|as fast as {he} could].",
   "{H} and {M} [went|walked|rode the bus|drove] to {place} [together|that afternoon|after lunch|].",
   "\"let's go to {place}!\" {said} {H}. [so|and so] {he} {move} there [with {the_obj}|right away].",
   "{H} [picked up|grabbed] {his} {obj} and {move} to {place}.",
   "[it was time to go to|at last, it was time to visit|today was the day to visit] {place}. {H} [could not wait|grabbed {his} {obj}|was so ready].",
   "on {a} [bright|fine|lovely] [day|afternoon|morning], {H} [set off|headed off] to {place} with {the_obj}.",
   "{H} {adv} {move} to {place}, holding {the_obj} [tight|with both hands|up high].",
   )
_t("go_ride",
   "{H} rode {his} {obj} all the way to {place}.",
   "[then|later|after lunch], {H} [hopped|jumped] on {his} {obj} and went to {place}.",
   )
_t("go_plain",
   "[one day|one {tod}|after breakfast|after lunch|on {a} {day}], {H} {move} to {place}.",
   "{M} took {H} to {place} [to play|for a picnic|for a walk|to see {s1}].",
   "{H} and {M} [went|walked|rode the bus|drove] to {place} [together|that afternoon|after lunch|].",
   "\"let's go to {place}!\" {said} {H}. [so|and so] {he} {move} there [right away|with {M}].",
   "[it was time to go to|at last, it was time to visit|today was the day to visit] {place}. {H} [could not wait|was so ready|skipped to the door].",
   "{H} [asked|begged] {M} to go to {place}, and {mhe} said yes!",
   "{H} had never been to {place} before. today, {he} {move} there with {M}.",
   "{H} {adv} {move} to {place}[ with {M}|].",
   )
_t("describe_place",
   "{place} was {pa1} and {pa2}.",
   "{H} could see {s1} and {s2}.",
   "{he} looked at {s1}[ and {s2}|] [for a while|with big eyes|with a smile].",
   "{H} [loved|liked] {place} [very much|a lot|because it was so {pa1}].",
   "{place} was {pa1}, and {H} could see {s1}.",
   "{place} had {s1} and {s2}.",
   "there were [people|children|families] [everywhere|all around], [laughing|talking|walking|having fun].",
   "first, {H} [went to see|ran over to|looked at] {s1}. then {he} [found|visited|looked at] {s2}.",
   "{H} had never seen such {a} {pa1} place. {he} saw {s1}, and even {s2}!",
   )
_t("describe_place_out",
   "the air [smelled|felt] [fresh|sweet|clean|cool].",
   "birds [sang|chirped] in the trees, and the grass was soft.",
   )
_t("meet_child",
   "{at_place}, {H} met {F}, {a} {fc_adj} {fkind}[ who lived nearby| from {his} class| from down the street| with {fhair}|].",
   "there, {he} saw {his} friend {F}. {F} was {f_doing}.",
   "soon, {F} [came|ran|walked|skipped] over[ to say hello|]. {F} was {a} {fc_adj} {fkind} [with {fhair}|from next door|].",
   "\"hi, {H}!\" [called|shouted|said] {F}. {F} was {his} [best|good|new|] friend.",
   "{H} met {a} {fc_adj} {fkind} named {F}[ by the path| near the gate| by the door|].",
   "{F} waved at {H}. \"hello! can I [play|sit|come] with you?\" {fhe} asked.",
   "{H} [bumped into|ran into] {F}, who was {f_doing}.",
   "{a} {fc_adj} {fkind} named {F} [was there too|came by|walked up to {H}].",
   "{H} [noticed|saw] {a} {fkind} with {fhair}. it was {F}, {his} friend from [school|next door|the library]!",
   )
_t("meet_animal",
   "{at_place}, {H} met {F}, {a} {fc_adj} {fkind}[ who lived nearby| who liked {f_act}|].",
   "there, {he} saw {his} friend {F} the {fkind}. {F} was {f_doing}.",
   "soon, {a} {fc_adj} {fkind} named {F} [came over|hopped over|peeked out from behind a tree].",
   "\"hello!\" said a little voice. it was {F}, {a} {fc_adj} {fkind}.",
   "{H} [bumped into|ran into] {F} the {fkind}, who was {f_doing}.",
   "{a} {fkind} [popped out|peeked out|jumped out] from behind a [bush|rock|door]. \"I am {F},\" {fhe} said.",
   )
_t("meet_talk",
   "\"look at my {col} {obj}!\" {said} {H}. \"[wow|oh|ooh], it is [so|really|very] {oa1}!\" {said} {F}.",
   "\"I [like|love] your {obj},\" said {F}. \"thank you!\" {said} {H}[ with a smile| proudly| happily|].",
   "{F} [looked at|pointed at|touched] {the_obj}. \"[where did you get it|is it new|can I see it]?\" {fhe} asked.",
   "\"[do you want to play|will you play with me|want to play together]?\" asked {H}. \"[yes|sure|yes, please|okay]!\" {said} {F}.",
   "\"what {a} {pa1} place,\" said {F}. {H} [nodded and smiled|agreed|laughed].",
   "{F} and {H} [said hello|waved to each other|smiled at each other] and started to [talk|chat|play].",
   "\"my name is {F},\" said the {fkind}. \"I am {H},\" said {H}[ with a smile|].",
   )
_t("animal_out",
   "[nearby|not far away|by the path], {H} saw {a} {an_adj} {animal} {a_act}.",
   "[suddenly|just then|after a while], {he} [saw|spotted|noticed] {a} {animal} {a_act}.",
   "{a} {an_adj} {animal} {a_move}. [it looked at {H}.|{H} waved at it.|{H} smiled at it.]",
   "\"look, {a} {animal}!\" {H} [said|whispered|shouted]. {he} watched it for a while.",
   "{H} [stopped|knelt down|stood very still] to watch {a} {animal} {a_act}.",
   "there was {a} {an_adj} {animal} {a_act}. [{H} said hello to it.|it was so cute!|it did not seem scared at all.]",
   "{H} saw {a} {an_adj} {animal}. it was {a_act}.",
   "{a} {animal} {a_move}, and {H} [held {his} breath|tiptoed closer|did not make a sound].",
   "{H} [counted|watched|followed] {a} {an_adj} {animal} with {his} eyes as it {a_move}.",
   )
_t("animal_in",
   "through the window, {H} saw {a} {an_adj} {animal} {a_act} outside.",
   "{H} looked out of the window and [saw|spotted] {a} {animal} {a_act}.",
   "outside the window, {a} {an_adj} {animal} {a_move}. {H} [pressed {his} nose to the glass|waved at it|smiled].",
   )
_t("animal_sound",
   "the {animal} said, \"{a_sound}!\" [{H} laughed.|{H} giggled.|]",
   "\"{a_sound}, {a_sound}!\" went the {animal}.",
   )
# ---- problems
_t("lost_start",
   "then, oh no! {H} could not find {his} {obj}!",
   "[later|after a while|a little later], {H} looked for {his} {col} {obj}, but it was gone!",
   "suddenly, {H} [noticed|saw|realized] that {his} {obj} was missing.",
   "{H} reached for {the_obj}, but it was not there anymore!",
   "[when|as soon as] {H} turned around, {the_obj} was gone.",
   "\"where is my {obj}?\" {H} [cried|asked|wondered out loud]. it had disappeared!",
   )
_t("neg_feel",
   "{H} felt {neg}.",
   "{he} {was} [very|so|a bit|terribly] {neg}.",
   "{H} [felt|was] [a little|very|quite] {neg}.",
   "[a tear rolled down {his} cheek|{his} lip began to shake|{he} sat down with a sigh]. {H} felt {neg}.",
   "{H} [frowned|sniffed|looked down at {his} feet]. {he} felt {neg}.",
   )
_t("lost_search",
   "{he} looked {sp1} and {sp2}, but it was not there.",
   "{he} searched {sp1}. no {obj}!",
   "{he} [peeked|looked|checked] {sp1}, then {sp2}. still no {obj}.",
   "{H} [hunted|searched] {sp1} and even {sp2}, but {he} found only [a lost sock|some dust|an old leaf|a button].",
   )
_t("lost_help",
   "{A} [came|ran|hurried] to help. \"let's look together,\" {ahe} said.",
   "{A} helped {him} look[ everywhere| high and low|].",
   "\"don't worry,\" said {A}. \"we will find it.\"",
   "\"I will help you,\" said {A}[ kindly| with a smile|], and {ahe} began to search too.",
   "{A} [knelt down|bent down|looked around] and said, \"let's think. where did you play last?\"",
   )
_t("lost_found",
   "at last, {A} found {the_obj} {sp3}!",
   "they looked and looked. at last, they found it {sp3}!",
   "\"there it is!\" [said|shouted|called] {A}. {the_obj} was {sp3}.",
   "{A} [spotted|saw] something {col} {sp3}. it was {the_obj}!",
   "[a moment later|after a long search|just when {H} wanted to give up], {A} found it {sp3}.",
   )
_t("thanks",
   "\"thank you, {A}!\" {said} {H}[ happily| with a big smile|].",
   "{H} gave {A} a [big|warm|tight] hug.",
   "{H} thanked {A}[ with a big smile| again and again| very much|].",
   "\"you are the best, {A}!\" {said} {H}.",
   "\"thanks for helping me,\" {H} said to {A}.",
   )
_t("tree_start",
   "[suddenly|just then], a big gust of wind [blew|carried] {the_obj} up into a tall tree.",
   "{H} threw {the_obj} [too high|up in the air], and it got stuck in a [tree|bush|tall hedge].",
   "whoosh! the wind took {the_obj} and dropped it high in [a tree|an old oak|a pine tree].",
   "[all of a sudden|without warning], the wind [grabbed|snatched] {the_obj} and [tossed|lifted] it onto a high branch.",
   )
_t("tree_stuck",
   "{H} could not reach it. {he} felt {neg}.",
   "{the_obj} was stuck, and {H} felt {neg}.",
   "{H} jumped and jumped, but {he} could not reach it.",
   "the branch was [too high|far too high|way up high]. {H} [stretched|reached|hopped], but it was no use.",
   "\"oh no, my {obj}!\" [cried|said] {H}, looking up at the [branch|tree|leaves].",
   )
_t("tree_help",
   "{A} [found|got] a long stick and [carefully|gently] [knocked|poked] it down.",
   "{A} [got a ladder|climbed up slowly] and brought {the_obj} back down.",
   "{A} shook the branch, and {the_obj} fell down into {H}'s arms.",
   "{A} [threw|tossed] a [pine cone|soft ball|small stick] at the branch, and down came {the_obj}.",
   "\"[I can help|let me try|I have an idea],\" said {A}. {ahe} [stood on a bench|climbed onto a rock] and [reached|grabbed] {the_obj}.",
   )
_t("puddle_start",
   "oops! {H} dropped {the_obj} into a [big|muddy|deep] puddle.",
   "{H} tripped, and {the_obj} fell into the mud.",
   "splash! {the_obj} [slipped|fell|tumbled] out of {H}'s hands and into a [puddle|muddy ditch|pool of mud].",
   "{H} was running so fast that {he} [slipped|tripped], and {the_obj} landed in the mud.",
   )
_t("puddle_state",
   "now it was [dirty|muddy|all wet].",
   "now {the_obj} was covered in mud.",
   "it was [dripping wet|full of mud|all sticky and dirty]. [{H} sighed.|\"yuck!\" said {H}.|]",
   )
_t("puddle_help",
   "{A} helped {him} wash it with soap and water.",
   "{A} [wiped|cleaned] it with a soft cloth.",
   "{A} [rinsed|washed] it [in a bucket of water|under the tap|in the stream] and let it dry in the [sun|breeze].",
   "\"[let's clean it up|we can wash it|mud comes off],\" said {A}, and [{ahe} scrubbed it|they scrubbed it together] until it was clean.",
   )
_t("puddle_after",
   "soon, the {obj} was clean and {col} again.",
   "soon it looked as good as new.",
   )
_t("break_start",
   "[oh no!|then|suddenly] {the_obj} {broke}!",
   "{H} dropped {the_obj}, and it {broke}.",
   "[crack!|snap!|bump!] {the_obj} hit the ground and {broke}.",
   "{H} was playing [too hard|too fast|too roughly], and {the_obj} {broke}.",
   )
_t("break_help",
   "\"don't worry,\" said {A}. \"we can fix it.\"",
   "{A} [came over|sat down next to {him}] and looked at {the_obj}.",
   "\"[let me see|show me|let's have a look],\" said {A} [gently|softly|kindly].",
   "{A} [picked up|took] {the_obj} and [turned it over|looked at it closely]. \"I know what to do,\" {ahe} said.",
   )
_t("break_fix",
   "{A} [fixed|mended] it with {fix}.",
   "together, they fixed {the_obj} with {fix}.",
   "{A} showed {him} how to fix it with {fix}.",
   "with {fix} and a lot of care, {A} [fixed|mended|repaired] {the_obj}.",
   "{H} held it still while {A} [fixed|mended] it with {fix}.",
   )
_t("break_after",
   "[soon|now] {the_obj} was as good as new.",
   "{H} [smiled|clapped|cheered]. {the_obj} was fixed!",
   "it looked [almost like new|just fine|better than before], and {H} [hugged|thanked] {A}.",
   )
_t("reach_start",
   "{H} [put|left] {the_obj} on a high shelf. later, {he} could not reach it.",
   "{the_obj} was up on a tall cupboard, far too high for {H}.",
   "somebody had put {the_obj} on top of the [fridge|bookcase|wardrobe], and {H} could not get it.",
   "{H} [looked up|pointed up]. {the_obj} was [way up high|on the highest shelf|out of reach].",
   )
_t("reach_try",
   "{he} stood on {his} toes, but it was no use.",
   "{he} stretched and stretched, but {his} arms were too short.",
   "{he} jumped [once|twice|three times], but {he} still could not reach it.",
   "{H} tried to [climb a chair|stand on a box], but it [wobbled|was too wobbly], so {he} stopped.",
   )
_t("reach_help",
   "{A} [got a little stool for {him}|reached up and got it down|lifted {him} up high].",
   "\"let me help,\" said {A}, and {ahe} got {the_obj} down.",
   "{A} [came in|walked by] and [reached up|stood on tiptoe] to get {the_obj} for {him}.",
   )
_t("scared_start",
   "[suddenly|then|all at once], {H} [saw|heard] {scare}.",
   "{scare} made {H} jump.",
   "[just then|out of nowhere], there was {scare}. {H} [froze|gasped|held {his} breath].",
   )
_t("scared_feel",
   "{H} felt {neg}.",
   "{he} [hid behind {A}|held {his} {obj} tight|stood very still].",
   "{his} [knees|hands] began to shake, and {he} felt {neg}.",
   )
_t("scared_help",
   "{A} held {his} hand. \"it is okay,\" {ahe} said. \"I am right here.\"",
   "\"don't be scared,\" said {A}. \"let's be brave together.\"",
   "{A} [smiled|gave {him} a hug] and said, \"it is nothing to be afraid of.\"",
   "\"[take a deep breath|count to three with me|hold my hand],\" said {A} [softly|gently|calmly].",
   "{A} [explained|showed {him}] that it was only {scare}, and that it could not hurt {him}.",
   )
_t("scared_after",
   "soon, {H} [felt better|was not scared anymore|smiled again].",
   "{H} took a deep breath and [felt better|smiled again|felt brave].",
   "after a while, {H} [laughed|giggled] at how silly the [noise|shadow|thing] was.",
   "{H} [squeezed|held] {A}'s hand, and the scary feeling [went away|melted away|got smaller].",
   )
_t("rain_start",
   "suddenly, dark clouds came, and it began to rain.",
   "[then|soon], big drops of rain began to fall.",
   "the sky [turned dark|grew dark], and [plip, plop,|pitter-patter,] the rain began.",
   )
_t("rain_act",
   "{H} and {A} [ran|hurried|dashed] under a [big tree|roof|wide umbrella].",
   "{H} [held|hid] {the_obj} under {his} coat to keep it dry.",
   "they [waited|sat|huddled] under [a big tree|a roof|a bridge] and [watched the rain|listened to the drops|counted the puddles].",
   )
_t("rain_after",
   "soon the rain stopped, and the sun came out again.",
   "after a while, the rain stopped, and a rainbow came out.",
   "[before long|a little later], the clouds [moved away|drifted off], and everything [sparkled|smelled fresh].",
   )
_t("lostway_start",
   "{H} [walked|wandered] too far and could not see {A} anymore.",
   "{H} looked around. {he} did not know the way back!",
   "{H} followed {a} [butterfly|bird|little path] and soon did not know where {he} was.",
   )
_t("lostway_help",
   "then {he} heard a voice. it was {A}!",
   "{A} [called|waved] from the path. \"over here, {H}!\"",
   "{H} [remembered|thought of] what {M} always said: stay where you are. soon, {A} [came|found {him}].",
   )
_t("lostway_after",
   "{H} ran to {A} and gave {ahim} a big hug.",
   "{H} ran back to {A}, and they [held hands|stayed close] after that.",
   "\"I am so glad I found you,\" said {A}, and {H} [held on tight|smiled with relief].",
   )
_t("friendsad_start",
   "{F} [looked|seemed] sad. {fhe} had dropped {fhis} [snack|paper boat|cap|sandwich] [in the dirt|on the ground|in a puddle].",
   "{F} sat all alone. {fhe} did not have anyone to play with.",
   "{F} was [crying|sniffling|sitting quietly] because {fhis} [balloon had flown away|drawing got wet|tower fell down].",
   )
_t("friendsad_help",
   "{H} wanted to help. [{he} shared {his} snack with {fhim}.|{he} gave {fhim} a big hug.|{he} made {fhim} laugh with a funny dance.]",
   "\"you can play with me,\" said {H} [kindly|softly|with a smile].",
   "{H} sat down next to {F} and [told a funny joke|made a silly face|showed {fhim} {the_obj}].",
   )
_t("friendsad_after",
   "soon {F} was smiling again.",
   "\"thank you, {H},\" said {F}. \"you are a good friend.\"",
   "{F} [wiped {fhis} eyes|sniffed once more] and [smiled|giggled|laughed].",
   )
# ---- sharing, counting, playing, eating, talking
_t("share",
   "{F} did not have {a} {obj}. so {H} [shared|let {fhim} use] {his} {obj}.",
   "\"do you want to {use}?\" asked {H}. {F} [smiled|nodded|jumped up and down]. \"yes, please!\"",
   "{H} and {F} took turns {using}.",
   "{H} [gave|handed] {the_obj} to {F} for a while. {F} [said thank you|smiled a big smile|was so happy].",
   "\"here, you can [try|have a turn with] my {obj},\" said {H}. {F} [grinned|smiled|laughed] and said thank you.",
   "{F} [looked at|watched] {the_obj} [with big eyes|for a long time]. {H} [smiled and|kindly] [held it out|passed it over].",
   "\"let's share it,\" said {H}. first {H} had a turn, then {F} had a turn.",
   )
_t("share_after",
   "[sharing {the_obj}|playing with {the_obj} together] made the day [even more fun|extra special|so much better].",
   "[playing together|having a friend to play with] was [much more fun than playing alone|the best part of the day].",
   "{F} [laughed|giggled|clapped], and {H} laughed too.",
   )
_t("count_add",
   "{H} {gather} {n_a_items}. then {he} {gather} {n_b} more. now {he} had {n_t_items}.",
   "first, {H} {gather} {n_a_items}. after that, {he} {gather} {n_b} more. [in all|altogether], {he} had {n_t_items}.",
   "{H} put {n_a_items} in {his} {container}. {giver2} gave {him} {n_b} more. now {H} had {n_t_items}!",
   "{H} {gather} {n_a_items}. then {he} {gather} {n_b} more. \"{n_a} and {n_b} make {n_t}!\" {he} said. {he} had {n_t_items}.",
   "{H} had {n_a_items}. {giver2} [brought|gave {him}] {n_b} more. [so|now] {H} had {n_t_items}.",
   "in {his} {container}, {H} had {n_a_items}. {he} {gather} {n_b} more, so now {he} had {n_t_items}.",
   "{H} counted {n_a_items} in {his} {container}. later {he} {gather} {n_b} more, and then {he} had {n_t_items}.",
   "there {were_a} {n_a_items} in {H}'s {container}. {he} added {n_b} more. now there were {n_t} in all, so {H} had {n_t_items}.",
   )
_t("count_sub",
   "{H} had {n_a_items}. {he} gave {n_b} to {recv}. now {he} had {n_t_items} left.",
   "{H} had {n_a_items} in {his} {container}. but {n_b} fell out [and rolled away|on the way|through a little hole]. now {he} had only {n_t_items}.",
   "{H} [counted|lined up] {n_a_items}. {he} shared {n_b} with {recv}. {n_a} take away {n_b} is {n_t}, so {he} had {n_t_items} left.",
   "{H} {gather} {n_a_items}, but {he} lost {n_b} on the way home. now {he} had {n_t_items}.",
   "there were {n_a} {items} in {H}'s {container}. {he} gave {n_b} away to {recv}, and {he} still had {n_t_items}.",
   )
_t("count_eat",
   "{H} had {n_a_items}. {he} ate {n_b}[, and they were {food_adj}|]. now {he} had {n_t_items} left.",
   )
_t("count_intro",
   "{H} [loved to count|liked counting] things.",
   "\"let's count!\" {said} {H}.",
   )
_t("play_friend",
   "{H} and {F} played {game} [for a long time|until lunch|all afternoon|under a big tree|together].",
   "[then|after that|next], they played {game}. [{F} was very good at it.|{H} won, and then {F} won.|they laughed and laughed.]",
   "{H} and {F} [built|made] {a} [big|tall|funny|little] {build}.",
   "they [ran|raced|chased each other] [around|all over] [and laughed|until they were out of breath].",
   "{H} and {F} sang a song about {song}.",
   "{F} showed {H} how to {f_act_base}, and {H} [tried it too|learned fast|laughed a lot].",
   "{H} [taught|showed] {F} how to {act_base}. {F} [tried|practiced] [again and again|for a long time] and [got better|did great].",
   "\"let's play {game}!\" said {F}. {H} [counted|hid|ran] first, and they played until they were tired.",
   "{H} and {F} [drew|painted] {picture} together and [gave it to {M}|hung it on a tree|laughed at it].",
   )
_t("play_alone",
   "{H} {used} [all afternoon|for a long time|again and again].",
   "{H} [built|made] {a} [big|tall|funny|little] {build}.",
   "{H} [drew|painted] a picture of {picture}.",
   "{H} sang a little song about {song}.",
   "{H} spent a long time {act}.",
   "{he} {was} so busy {act} that {he} forgot the time.",
   "{H} [decided|wanted] to {act_base}, and {he} did it [very well|for a long time|with a big smile].",
   "[for a while|all afternoon], {H} played with {the_obj} and pretended it was {pretend}.",
   )
_t("snack",
   "[after a while|at lunch time|soon|a bit later], {H} [felt|got] hungry. {M} [gave|brought] {him} {food}.",
   "{H} [had|enjoyed|shared] {food}[{with_f}|] [on a blanket|under a tree|on a bench|by the window|on the grass].",
   "\"[yum|mmm|yummy], [this is so {food_adj}|I love this|this is the best]!\" {said} {H}, [eating|munching on|enjoying] {food}.",
   "{M} had packed {food} for a snack. [it tasted so good.|{H} ate every bite.|{H} said thank you.|{H} licked {his} lips.]",
   "[when {H} got hungry|at snack time], {M} [opened the basket|found a bag] with {food} inside.",
   )
_t("talk",
   "\"I love my {obj},\" [said|whispered|sang] {H}.",
   "\"{place} is the [best|most fun place|best place in the world]!\" {H} [said|shouted|laughed].",
   "\"can we stay a little longer?\" asked {H}. \"just a little longer,\" said {M} [with a smile|kindly|with a wink].",
   "{H} looked up at the sky and wondered {wonder}.",
   "\"look at me!\" [called|shouted] {H}, and {he} [spun around|did a little dance|jumped high|hopped on one foot].",
   "{H} [hummed|sang|whistled] a [happy|little|silly] tune and swung {his} arms.",
   "{H} asked {M} {wonder}. {M} [smiled|laughed|thought for a moment] and said, \"let's find out together.\"",
   "{H} [counted the clouds|watched the people go by|listened to the sounds around {him}] for a while.",
   "\"do you like {act}?\" {H} asked {M}. \"I love it!\" said {M}.",
   "\"when I grow up, I want to {dream_goal},\" said {H}. {M} smiled. \"I know you can.\"",
   "{H} told {M} a story about {picture}, and {M} laughed.",
   "\"guess what, {M}?\" said {H}. \"I saw {s1}!\"",
   )
_t("feeling",
   "{H} felt [very |so |really |truly |]{feel}.",
   "{H} [smiled|grinned|laughed|beamed]. {he} felt {feel}[ inside| all over| all day|].",
   "it made {H} feel [very |so |]{feel}.",
   "{H} was [so|very|really] {feel}.",
   "[at the end of the day|by the end of the day|that evening|on the way home], {H} felt {feel}.",
   "{his} heart felt [full|light], and {he} felt {feel}.",
   "{H} [smiled|grinned|hummed to {himself}] because {he} felt so {feel}.",
   "it had been a [long|busy|happy|big] day, and {H} felt {feel}.",
   )
_t("go_home",
   "{H} [walked|went|skipped|headed|wandered] home [with a big smile|happily|as the sun went down|humming a little song|hand in hand with {M}].",
   "when the [sun began to set|sky began to glow|shadows grew long|first stars came out], [it was time to go home|{H} and {M} went home|{H} headed home].",
   "[at the end of the day|later that day|as the day ended|before dinner], {H} and {M} [went|walked|drove|headed] home.",
   "soon it was time to [go home|say goodbye to {place}|leave], and {H} [waved goodbye|took one last look|walked slowly to the gate].",
   )
_t("moral",
   "{H} learned that {lesson}.",
   "that day, {H} learned that {lesson}.",
   "\"{lesson},\" said {M}. {H} [nodded|smiled and nodded|agreed].",
   "{H} knew now that {lesson}.",
   "[{H} thought about the day.|] {he} understood that {lesson}.",
   "\"do you know what I learned today?\" {H} asked {M}. \"{lesson}!\"",
   "{H} would always remember that {lesson}.",
   "that evening, {M} said, \"{lesson}.\" and {H} [knew it was true|smiled|nodded sleepily].",
   )
_t("closer",
   "[that night|at bedtime|later that night], {H} [went to bed|fell asleep|snuggled into bed|curled up in bed] with the {col} {obj} [next to {him}|by {his} bed|under {his} arm|on the shelf|close by].",
   "{he} [could not wait|wanted|hoped] to [go back to|visit|see] {place} again [tomorrow|soon|the next day|one day|].",
   "it was [the best day ever|a wonderful day|a day to remember|a very good day|a day full of surprises].",
   "when {H} got home, {he} told {M} all about [{his} day|{the_obj}|{place}|everything].",
   "{H} kept the {col} {obj} [forever|for a long, long time|in a special place|on a shelf by {his} bed|in a box of treasures].",
   "and every time {H} [looked at|held|saw] {his} {col} {obj}, {he} [smiled|remembered that day|felt {feel} again].",
   "[[that night|later], {H} dreamed of {dream}|the stars came out, and soon {H} was fast asleep[, dreaming of {dream}|]].",
   "{H} gave {M} a [big|sleepy|warm] hug and said, \"[thank you for a|what a|today was a] [lovely|wonderful|great] day!\"",
   )
_t("closer_friend",
   "[from that day on|after that day|ever since then], {H} and {F} were [best|good|the best of] friends.",
   "{H} and {F} [promised|agreed|planned] to [play together|meet|play] again [soon|tomorrow|the next day|next week].",
   "\"see you tomorrow, {F}!\" [called|said|shouted] {H}. \"see you, {H}!\" [said|called] {F}.",
   )

_t("scene",
   "{sc_who} {sc_act} {sc_where}.",
   "{sc_where}, {sc_who} {sc_act}.",
   "{H} saw {sc_who} who {sc_act} {sc_where}.",
   "{H} watched as {sc_who} {sc_act} {sc_where}.",
   "there was {sc_who} {sc_where}, and {sc_who2} {sc_act2} nearby.",
   "{sc_who} {sc_act}, and {sc_who2} {sc_act2}.",
   "{H} {adv} {hero_walk} {sc_who} who {sc_act}.",
   "{H} [smiled at|waved to|said hello to] {sc_who} who {sc_act} {sc_where}.",
   )
COLOUR_LIKE = {
    "red": ["a strawberry", "a fire truck", "a ripe cherry"], "blue": ["the sky", "the sea", "a blueberry"],
    "green": ["the grass", "a frog", "a fresh leaf"], "yellow": ["the sun", "a banana", "a lemon"],
    "orange": ["a carrot", "a pumpkin", "a sunset"], "purple": ["a plum", "a grape", "an eggplant"],
    "pink": ["a flamingo", "cotton candy", "a rose petal"], "brown": ["chocolate", "a tree trunk", "a puppy's nose"],
    "black": ["the night sky", "a crow", "coal"], "white": ["snow", "milk", "a cloud"],
    "gray": ["a rain cloud", "an elephant", "a little mouse"], "golden": ["honey", "the morning sun", "a crown"],
    "silver": ["the moon", "a spoon", "a fish's scales"], "teal": ["a peacock feather", "a deep pond"],
    "violet": ["a violet flower", "the evening sky"], "crimson": ["a rose", "a ruby"],
    "scarlet": ["a ladybug", "a cardinal"], "turquoise": ["the sea", "a tropical pool"],
    "lavender": ["lavender flowers", "a soft dusk"], "navy": ["the night sky", "a sailor's coat"],
    "beige": ["sand", "an oat cookie"], "maroon": ["a plum", "a dark cherry"],
    "indigo": ["the evening sky", "a deep lake"], "lime": ["a lime", "a young leaf"],
}
assert set(COLOUR_LIKE) == set(W.COLOURS)

WONDERS = ["where the clouds were going", "how high the birds could fly", "what the ants were carrying",
           "why the sky was so big", "how many stars there were", "where the wind came from",
           "what the fish did at night", "why the leaves were falling", "how far away the moon was",
           "what the bees were saying to each other"]
F_DOING = ["waving at {H}", "looking for something", "sitting all alone", "reading a book", "humming a song",
           "drawing in a notebook", "eating an apple", "looking at the clouds", "tying a shoe", "counting pebbles"]
_SCENE_VERBS = list(W.SCENE_VERB_OBJ)
TOWN_THINGS = ["little shops", "tall trees", "winding streets", "flower boxes", "friendly neighbors", "old bridges",
               "busy markets", "bicycles", "small gardens", "stone walls", "bakeries"]
TOWN_PLACES = ["the bakery", "the old library", "the school", "the fire station", "a little park", "the post office",
               "a flower shop", "the town hall", "a toy store", "the train station"]
_OPENERS = ["Then,", "After that,", "Soon,", "Later,", "Next,", "A moment later,", "Just then,", "After a while,",
            "In no time,", "Before long,", "Right away,", "Without waiting,", "Quietly,", "Slowly,", "Carefully,",
            "Eyes wide,", "A little later,", "Meanwhile,", "At that moment,", "Without a word,", "Very carefully,",
            "All at once,", "Quick as a wink,", "Like a little explorer,", "With a deep breath,", "Just like that,"]
_OPENERS_HAPPY = ["Smiling,", "Laughing,", "Humming,", "Giggling,", "Happily,", "With a grin,", "With a smile,",
                  "With a happy hum,", "With a little skip,", "Full of joy,", "Eyes shining,", "Grinning from ear to ear,",
                  "Singing a little song,", "With a happy shout,", "Proudly,", "Cheerfully,"]
_NEG_BY_PROBLEM = {
    "lost": ["sad", "worried", "upset", "unhappy", "gloomy", "confused"],
    "tree": ["sad", "worried", "upset", "frustrated", "cross"],
    "break": ["sad", "upset", "unhappy", "frustrated", "gloomy"],
    "scared": ["scared", "afraid", "nervous", "shaky", "worried"],
    "lostway": ["scared", "worried", "lonely", "nervous", "afraid"],
    "reach": ["frustrated", "cross", "grumpy"],
    "puddle": ["sad", "upset", "grumpy", "cross"],
}
_STATE_VERBS = {"had", "was", "were", "felt", "could", "did", "knew", "liked", "loved", "wanted", "learned"}
_OPENER_GROUPS = dict.fromkeys(
    ["find_home_found", "find_place", "go_with", "go_plain", "go_ride", "describe_place", "animal_out", "animal_in",
     "lost_search", "tree_help", "reach_try", "rain_act", "count_sub", "snack"], "neutral")
_OPENER_GROUPS.update(dict.fromkeys(
    ["play_friend", "play_alone", "share", "count_add", "describe_obj", "meet_child", "meet_animal", "closer",
     "go_home"], "happy"))
SAID = ["said", "said", "shouted", "called", "cried", "cheered", "laughed", "exclaimed", "squealed"]
PRETEND = ["a rocket to the moon", "a pirate ship", "a magic treasure", "a dragon's egg", "a royal prize",
           "a secret message", "a spaceship", "a talking friend", "a castle", "a racing car"]
AGES = ["three", "four", "five", "six", "seven", "eight", "nine"]


# =============================================================================================
# English story builder
# =============================================================================================

_PRON = {
    "he": dict(he="he", him="him", his="his", himself="himself", was="was"),
    "she": dict(he="she", him="her", his="her", himself="herself", was="was"),
    "they": dict(he="they", him="them", his="their", himself="themself", was="were"),
}
_OBJ_KIND = {name: kind for name, kind in W.OBJECT_LIST}
_OBJ_NAMES = [name for name, _ in W.OBJECT_LIST]
_PLACE_INFO = {name: (indoor, sights.split("|")) for name, indoor, sights in W.PLACES}
_PLACE_NAMES = [p[0] for p in W.PLACES]
_PLACE_PREP = {p: "in" for p in (
    "the forest", "the garden", "the woods", "the meadow", "the valley", "the village", "the square",
    "the orchard", "the attic", "the kitchen", "the cabin", "the treehouse", "the greenhouse", "the barn",
    "the cave", "the castle", "the old mill", "the lighthouse", "the flower field", "the pumpkin patch",
    "the backyard", "the community garden", "the school garden", "the sand dunes", "the swimming pool")}
_PLACE_PREP.update({p: "on" for p in ("the hill", "the island", "the mountain", "the bridge")})
_NAMED_PLACE_NAMES = [("the " if art else "") + w + " " + suffix
                      for kind, (suffix, art) in W.NAMED_PLACES.items() for w in W.PLACE_NAME_WORDS]
_PLACE_TYPE = {p: p for p in _PLACE_NAMES}
_PLACE_TYPE.update({("the " if art else "") + w + " " + suffix: kind
                    for kind, (suffix, art) in W.NAMED_PLACES.items() for w in W.PLACE_NAME_WORDS})
_ANIMAL_CAT = dict(W.ANIMALS)
_ANIMAL_NAMES = [a for a, _ in W.ANIMALS]
_HELPER_PRON = dict(W.HELPERS)


@functools.lru_cache(maxsize=None)
def _animals_for(place: str, indoor: bool) -> list:
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
_HELPER_NAMES = [h for h, _ in W.HELPERS]
_ACTS = [(a, _gerund(a)) for a in W.ACTIVITIES]


def _pick_helper(rng, family, titled, avoid):
    """A grown-up: a family word about a third of the time, otherwise a titled name that does not
    contain the hero's or the friend's name."""
    if rng.random() < 0.35:
        return rng.choice(family)[0]
    while True:
        h = rng.choice(titled)[0]
        if not any(a in h for a in avoid):
            return h
_BUILDS = [f"{b} out of {m}" for b, m in W.BUILDS]

_EN_BASE = dict(
    c_adj=W.CHAR_ADJ, town_adj=W.TOWN_ADJ, town=W.TOWNS, home_desc=W.HOME_DESC, home_near=W.HOME_NEAR,
    animal_home=W.ANIMAL_HOMES, hair=W.HAIR, age=AGES, pet=W.PETS, petname=W.PET_NAMES,
    dream_goal=W.DREAM_GOALS, home_spot=W.HOME_SPOTS, move=W.MOVES, an_adj=W.ANIMAL_ADJ, game=W.GAMES,
    build=_BUILDS, song=W.SONGS, picture=W.PICTURES, food=W.FOODS, food_adj=W.FOOD_ADJ, wonder=WONDERS,
    dream=W.DREAMS, scare=W.SCARES, feature=W.FEATURES, day=W.DAYS, season=W.SEASONS, toyname=W.PET_NAMES,
    container=W.CONTAINERS, adv=W.ADVERBS, said=SAID, pretend=PRETEND,
    hero_walk=W.HERO_WALKS,
    town_thing=TOWN_THINGS, town_place=TOWN_PLACES,
)


def _set_person(ctx, prefix, pron):
    for k, v in _PRON[pron].items():
        ctx[prefix + k] = v


# Each problem kind: the template keys said in order, and the themes it adds to the story.
_PROBLEM_BEATS = {
    "lost": (["lost_start", "neg_feel", "lost_search", "lost_help", "lost_found", "thanks"], ["lost", "help"]),
    "tree": (["tree_start", "tree_stuck", "tree_help", "thanks"], ["help"]),
    "puddle": (["puddle_start", "puddle_state", "puddle_help", "puddle_after"], ["help"]),
    "break": (["break_start", "neg_feel", "break_help", "break_fix", "break_after"], ["help"]),
    "reach": (["reach_start", "reach_try", "reach_help", "thanks"], ["help"]),
    "scared": (["scared_start", "scared_feel", "scared_help", "scared_after"], ["brave"]),
    "rain": (["rain_start", "rain_act", "rain_after"], []),
    "lostway": (["lostway_start", "neg_feel", "lostway_help", "lostway_after"], ["brave", "help"]),
    "friendsad": (["friendsad_start", "friendsad_help", "friendsad_after"], ["help", "share"]),
}


class _EnBuilder:
    # What the Chinese builder swaps for its own tables; the story skeleton is shared.
    WEATHER_LINES = W.WEATHER
    NEG_BY_PROBLEM = _NEG_BY_PROBLEM
    NEG_FEEL = W.NEG_FEEL
    PROBLEM_BEATS = _PROBLEM_BEATS

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.paras: list[list[str]] = [[]]
        self.words = 0
        self.facts: dict = {}
        self.themes: list[str] = []
        self.friend_met = False

    # -- output
    def say(self, name, idx=None):
        group = T[name]
        out = []
        _emit(group[int(self.rng.random() * len(group)) if idx is None else idx], self.ctx, self.rng, out)
        s = _finish_en("".join(out))
        kind = _OPENER_GROUPS.get(name)
        if kind is not None and self.rng.random() < 0.25:
            s = self._open(s, kind)
        self.paras[-1].append(s)
        self.words += s.count(" ") + 1

    def _open(self, s, kind):
        """Put a short opener ("Then,", "Smiling,") before a sentence that starts with the hero."""
        c = self.ctx
        h = c["H"]
        if s.startswith(h + " ") and not s.startswith(h + "'s"):
            rest = s
            if s[len(h) + 1:].split(" ", 1)[0] in _STATE_VERBS:
                return s
        else:
            p = c["he"].capitalize()
            if not s.startswith(p + " "):
                return s
            rest = c["he"] + s[len(p):]
            if rest[len(p) + 1:].split(" ", 1)[0] in _STATE_VERBS:
                return s
        pool = _OPENERS_HAPPY if kind == "happy" and self.rng.random() < 0.5 else _OPENERS
        return pool[int(self.rng.random() * len(pool))] + " " + rest

    def say_raw(self, s):
        s = _finish_en(s)
        self.paras[-1].append(s)
        self.words += s.count(" ") + 1

    def para(self, p=1.0):
        if self.paras[-1] and self.rng.random() < p:
            self.paras.append([])

    def text(self):
        return "\n\n".join(" ".join(p) for p in self.paras if p)

    # -- cast and setting
    def setup(self):
        rng = self.rng
        c = dict(_EN_BASE)
        self.ctx = c
        self.animal_hero = rng.random() < 0.3
        if self.animal_hero:
            pron = "she" if rng.random() < 0.5 else "he"
            name = rng.choice(W.PET_NAMES)
            kind = rng.choice(W.HERO_ANIMALS)
        else:
            r = rng.random()
            if r < 0.12:
                name = rng.choice(W.NEUTRAL_NAMES)
                pron = rng.choice(("they", "they", "she", "he"))
            elif r < 0.56:
                name, pron = rng.choice(W.GIRL_NAMES), "she"
            else:
                name, pron = rng.choice(W.BOY_NAMES), "he"
            kind = {"she": "girl", "he": "boy", "they": "kid"}[pron]
        c["H"], c["kind"] = name, kind
        _set_person(c, "", pron)
        # friend: an animal for animal heroes (mostly), a child otherwise (mostly)
        animal_friend = rng.random() < (0.8 if self.animal_hero else 0.2)
        while True:
            if animal_friend:
                fname, fpron = rng.choice(W.PET_NAMES), rng.choice(("she", "he"))
                fkind = rng.choice(W.HERO_ANIMALS)
            else:
                r = rng.random()
                if r < 0.1:
                    fname, fpron = rng.choice(W.NEUTRAL_NAMES), rng.choice(("they", "she", "he"))
                elif r < 0.55:
                    fname, fpron = rng.choice(W.GIRL_NAMES), "she"
                else:
                    fname, fpron = rng.choice(W.BOY_NAMES), "he"
                fkind = {"she": "girl", "he": "boy", "they": "kid"}[fpron]
            if fname != name:
                break
        self.animal_friend = animal_friend
        c["F"], c["fkind"], c["fc_adj"] = fname, fkind, rng.choice(W.CHAR_ADJ)
        _set_person(c, "f", fpron)
        c["fhair"] = W.HAIR
        c["f_doing"] = [d.replace("{H}", name) for d in F_DOING]
        f_base, f_ger = rng.choice(_ACTS)
        c["f_act"], c["f_act_base"] = f_ger, f_base
        helper = _pick_helper(rng, W.HELPER_FAMILY, W.HELPER_TITLED, (name, fname))
        c["M"] = helper
        _set_person(c, "m", _HELPER_PRON[helper])
        (a1, g1), (a2, g2) = rng.sample(_ACTS, 2)
        c["act"], c["act_base"], c["act2"], c["act2_base"] = g1, a1, g2, a2
        c["pet"] = rng.choice(W.PETS)
        c["petname"] = rng.choice([p for p in rng.sample(W.PET_NAMES, 3) if p not in (name, fname)])
        c["c_adj2"] = W.CHAR_ADJ
        obj = rng.choice(_OBJ_NAMES)
        okind = _OBJ_KIND[obj]
        info = W.OBJECT_KINDS[okind]
        col = rng.choice(W.COLOURS)
        c["obj"], c["col"], c["col_like"] = obj, col, COLOUR_LIKE[col]
        c["use"], c["used"], c["using"] = info["use"], info["used"], info["using"]
        i = int(rng.random() * len(info["broke"]))
        c["broke"], c["fix"] = info["broke"][i], info["fix"][i]
        self.okind, self.light = okind, info["light"]
        if okind == "ride":  # bikes and sleds are not found under pillows
            c["home_spot"] = ["in the garage", "in the garden shed", "by the back door", "on the porch",
                              "in the basement", "behind the house"]
        c["oa1"], c["oa2"] = _pick2(rng, W.OBJ_ADJ)
        his = c["his"]
        c["the_obj"] = [f"the {obj}"] * 4 + [f"{his} {obj}"] * 2 + [
            f"the {col} {obj}", f"{his} {col} {obj}", f"the {c['oa1']} {obj}", f"{his} {c['oa1']} {obj}"]
        kind_of_place = rng.choice(_PLACE_NAMES)
        place = kind_of_place
        if kind_of_place in W.NAMED_PLACES and rng.random() < 0.4:
            suffix, article = W.NAMED_PLACES[kind_of_place]
            place = ("the " if article else "") + rng.choice(W.PLACE_NAME_WORDS) + " " + suffix
        indoor, sights = _PLACE_INFO[kind_of_place]
        self.indoor, self.kind_of_place = indoor, kind_of_place
        c["place"] = place
        c["at_place"] = _PLACE_PREP.get(kind_of_place, "at") + " " + place
        c["pa1"], c["pa2"] = _pick2(rng, W.PLACE_ADJ)
        c["s1"], c["s2"] = _pick2(rng, sights)
        c["spot"] = W.INDOOR_SPOTS if indoor else W.OUTDOOR_SPOTS
        c["feel"], c["neg"] = rng.choice(W.POS_FEEL), rng.choice(W.NEG_FEEL)
        c["weather"], c["tod"] = rng.choice(list(W.WEATHER)), rng.choice(W.TIMES)
        self.facts.update(hero=name, pronoun=pron, kind=kind, object=obj, colour=col, place=place)

    # -- events
    def opening(self):
        rng = self.rng
        self.say("open_animal" if self.animal_hero else "open_child")
        if rng.random() < 0.6:
            self.say("open_extra")
        if rng.random() < 0.55:
            self.say("setting")
            self.facts["weather"] = self.ctx["weather"]
            self.facts["time"] = self.ctx["tod"]
            if rng.random() < 0.5:
                self.say_raw(rng.choice(self.WEATHER_LINES[self.ctx["weather"]]))
        self.para()

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
        for _ in range(rng.choice((0, 1, 1, 2))):
            self.say("describe_obj")
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
        if rng.random() < 0.85:
            self.say("find_place")
            self.facts["how"] = "found"
        else:
            self.say("find_place_given")
            self.facts["how"] = "given"
        for _ in range(rng.choice((0, 1, 1, 2))):
            self.say("describe_obj")

    def describe_place(self):
        self.say("describe_place")
        if not self.indoor and self.rng.random() < 0.3:
            self.say("describe_place_out")
        if self.rng.random() < 0.3:
            self.scene()

    def meet(self):
        if self.friend_met:
            return False
        self.say("meet_animal" if self.animal_friend else "meet_child")
        self.friend_met = True
        self.facts["friend"] = self.ctx["F"]
        if self.rng.random() < 0.6:
            self.say("meet_talk")
        return True

    def animal(self):
        rng = self.rng
        c = self.ctx
        animal = rng.choice(_animals_for(self.kind_of_place, self.indoor))
        cat = _ANIMAL_CAT[animal]
        c["animal"], c["a_act"], c["a_move"] = animal, W.ANIMAL_ACTS[cat], W.ANIMAL_MOVES[cat]
        self.say("animal_in" if self.indoor else "animal_out")
        if animal in W.ANIMAL_SOUNDS and rng.random() < 0.5:
            c["a_sound"] = W.ANIMAL_SOUNDS[animal]
            self.say("animal_sound")
        self.facts["animal"] = animal
        return True

    def _agent(self):
        c = self.ctx
        if self.friend_met and self.rng.random() < 0.7:
            c["A"] = c["F"]
            for k in ("he", "him", "his"):
                c["a" + k] = c["f" + k]
        else:
            c["A"] = c["M"]
            for k in ("he", "him", "his"):
                c["a" + k] = c["m" + k]

    def _problem_kinds(self) -> list[str]:
        kinds = ["lost", "break", "scared"] + (["reach"] if self.indoor and self.okind != "ride" else [])
        if not self.indoor:
            kinds += ["puddle", "rain", "lostway"]
            if self.light:
                kinds += ["tree", "tree"]
        if self.friend_met:
            kinds.append("friendsad")
        return kinds

    def problem(self):
        rng = self.rng
        c = self.ctx
        kind = rng.choice(self._problem_kinds())
        self._agent()
        c["neg"] = self.NEG_BY_PROBLEM.get(kind, self.NEG_FEEL)
        if kind == "lost":
            c["sp1"], c["sp2"], c["sp3"] = rng.sample(c["spot"], 3)
        beats, themes = self.PROBLEM_BEATS[kind]
        for beat in beats:
            self.say(beat)
        self.themes += themes
        self.facts["problem"] = kind
        return True

    def share(self):
        if not self.friend_met:
            self.meet()
        self.say("share")
        if self.rng.random() < 0.4:
            self.say("share_after")
        self.themes.append("share")
        self.facts["shared_with"] = self.ctx["F"]
        return True

    def count(self):
        rng = self.rng
        c = self.ctx
        sing, plur, group = rng.choice(W.COUNT_ITEMS)
        c["gather"] = W.GATHER[group]
        c["giver2"] = c["F"] if self.friend_met else c["M"]
        c["recv"] = c["F"] if self.friend_met else c["M"]
        if rng.random() < 0.6:
            a, b = rng.randint(1, 10), rng.randint(1, 10)
            t, op, group_name = a + b, "+", "count_add"
        else:
            a = rng.randint(3, 15)
            b = rng.randint(1, a - 1)
            t, op = a - b, "-"
            group_name = "count_eat" if group in ("baked", "fruit") and rng.random() < 0.5 else "count_sub"
        c["n_a"], c["n_b"], c["n_t"] = str(a), str(b), str(t)
        c["n_a_items"], c["n_t_items"] = _n_items(a, sing, plur), _n_items(t, sing, plur)
        c["items"], c["were_a"] = plur, "was" if a == 1 else "were"
        if rng.random() < 0.25:
            self.say("count_intro")
        self.say(group_name)
        self.facts["sum"] = {"a": a, "b": b, "total": t, "op": op, "item": sing, "items": plur}
        self.themes.append("count")
        return True

    def play(self):
        self.say("play_friend" if self.friend_met else "play_alone")
        return True

    def _scene_parts(self):
        rng, c = self.rng, self.ctx
        for k in ("", "2"):
            adj = rng.choice(W.SCENE_PERSON_ADJ) + " " if rng.random() < 0.75 else ""
            c["sc_who" + k] = f"{_AN_MARK} {adj}{rng.choice(W.SCENE_PERSON)}"
            verb = rng.choice(_SCENE_VERBS)
            adv = rng.choice(W.ADVERBS) + " " if rng.random() < 0.3 else ""
            c["sc_act" + k] = f"{adv}{verb} {rng.choice(W.SCENE_VERB_OBJ[verb])}"
        adj = rng.choice(W.SCENE_SPOT_ADJ) + " " if rng.random() < 0.7 else ""
        c["sc_where"] = f"{rng.choice(W.SCENE_SPOT_PREP)} the {adj}{rng.choice(W.SCENE_SPOT)}"

    def scene(self):
        """One to three sentences about other people around: only in outdoor public places."""
        if self.indoor or self.kind_of_place == "the backyard":
            return False
        for _ in range(self.rng.choice((1, 1, 2))):
            self._scene_parts()
            self.say("scene")
        return True

    def snack(self):
        self.ctx["with_f"] = " with " + self.ctx["F"] if self.friend_met else ""
        self.say("snack")
        return True

    def talk(self):
        self.say("talk")
        return True

    def build(self):
        rng = self.rng
        self.setup()
        self.opening()
        if rng.random() < 0.6:
            self.obtain_at_home()
        else:
            self.obtain_at_place()
        self.para(0.6)
        target = rng.randint(85, 275)
        weights = dict(meet=3.0, animal=1.5, problem=2.0, share=1.2, count=2.0, play=1.2, snack=0.7, talk=0.7,
                       scene=2.5)
        order = sorted(weights, key=lambda k: -rng.random() ** (1.0 / weights[k]))
        ending_est = 28
        for ev in order:
            if self.words + ending_est >= target:
                break
            if getattr(self, ev)():
                self.para(0.4)
        fillers = ["talk", "play", "snack"]
        while self.words < 62:
            getattr(self, rng.choice(fillers))()
        self.para(0.5)
        # feeling, then an ending
        if rng.random() < 0.92:
            self.say("feeling")
            self.facts["feeling"] = self.ctx["feel"]
        if rng.random() < 0.35:
            self.say("go_home")
        if rng.random() < 0.6:
            theme = rng.choice(self.themes) if self.themes and rng.random() < 0.8 else "general"
            self.ctx["lesson"] = W.LESSONS[theme]
            self.say("moral")
        for idx in rng.sample(range(len(T["closer"])), rng.choice((1, 1, 2))):
            self.say("closer", idx)
        if self.friend_met and rng.random() < 0.4:
            self.say("closer_friend")
        if rng.random() < 0.08:
            self.say_raw("the end.")
        return self.text()


def _en_story(rng: random.Random, sid: str) -> Story:
    for _ in range(50):
        b = _EnBuilder(rng)
        text = b.build()
        n = len(text.split())
        if 80 <= n <= 300:
            return Story(sid, text, b.facts)
    return Story(sid, text, b.facts)  # pragma: no cover - practically unreachable


# =============================================================================================
# Chinese templates (same fact structure, smaller vocabulary)
# =============================================================================================

_ZH_DIGITS = "零一二三四五六七八九"


def _zh_num(n: int, measure: bool = True) -> str:
    """Chinese numeral for 0..99; with measure=True, 2 is 两 (两个苹果)."""
    if n == 2 and measure:
        return "两"
    if n < 10:
        return _ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _ZH_DIGITS[tens]
    return head + "十" + (_ZH_DIGITS[ones] if ones else "")


ZT = {}


def _z(name, *templates):
    ZT[name] = _compile(templates)


_z("open_child",
   "从前，有一个{c_adj}的{kind}，名叫{H}。",
   "{H}是一个{c_adj}的{kind}，最喜欢{act}了。",
   "在一个[小小的|安静的|热闹的|美丽的][小镇|村子|城市]里，住着一个{c_adj}的{kind}，[大家都叫{he}{H}|{he}的名字叫{H}]。",
   "{H}今年[四|五|六|七|八]岁了，是一个{c_adj}的{kind}。",
   "有一个{kind}叫{H}，{he}[非常|特别|很]{c_adj}。",
   "{H}和爸爸妈妈住在一座[小房子|带院子的房子|河边的房子|山脚下的房子]里，{he}是一个{c_adj}的{kind}。",
   "{H}是个{c_adj}又{c_adj2}的{kind}，每天都要{act}。",
   "在[大山脚下|小河旁边|城市的一角|一条小巷子里]，有一个叫{H}的{kind}。",
   "{H}是[幼儿园|小学一年级|小学二年级]的{kind}，大家都说{he}很{c_adj}。",
   "我要讲一个关于{H}的故事。{H}是一个{c_adj}的{kind}。",
   )
_z("open_animal",
   "从前，在一片[大森林|小树林|草地]里，住着一{km}{c_adj}的{kind}，名叫{H}。",
   "{H}是一{km}{c_adj}的{kind}，{he}住在[一棵大树下面|小河边|山坡上的小洞里|一个温暖的窝里]。",
   "有一{km}{kind}叫{H}，{he}[非常|特别|很]{c_adj}。",
   "[大森林|小河边|山坡上]住着一{km}{kind}，{he}的名字叫{H}。",
   "{H}是一{km}{c_adj}又{c_adj2}的{kind}，{he}最爱{act}。",
   "森林里的小动物都认识{H}，{he}是一{km}{c_adj}的{kind}。",
   )
_z("open_extra",
   "{he}最喜欢{act}和{act2}。",
   "{he}每天都[开开心心的|笑眯眯的|蹦蹦跳跳的]。",
   "{he}有一个梦想：长大以后要去[看大海|当画家|当医生|开飞机|月亮上看看]。",
   "{he}每天都要{act2}，从来不觉得累。",
   "{he}有一只{pet}，名字叫{petname}。",
   "{he}的好朋友们都说，{he}{act}的本领最大。",
   "周末的时候，{H}常常和{M}一起{act2}。",
   )
_z("setting",
   "那是一个{weather}的{tod}。",
   "一个{weather}的{tod}，{H}早早地起了床。",
   "这是一个{weather}的{tod}，{H}[想出去玩|有一个好主意|在家里待不住了]。",
   "{season}的一个{tod}，天气[不错|很好]，是个{weather}的日子。",
   )
_z("find_home_found",
   "有一天，{H}在{home_spot}发现了一{om}{col}的{obj}。",
   "{H}正在[整理房间|帮{M}打扫|玩游戏]，忽然在{home_spot}看到了一{om}{col}的{obj}。",
   "{H}往{home_spot}一看，发现了一{om}{oa_attr}{col}{obj}。",
   "{H}听见{home_spot}有[咚的一声|沙沙的声音|叮当的声音]，走过去一看，原来是一{om}{col}的{obj}。",
   "{H}在找{he}的[袜子|小皮球|图画书]，却在{home_spot}找到了一{om}{col}的{obj}。",
   )
_z("find_home_given",
   "{H}过生日的时候，{M}送给{he}一{om}{col}的{obj}。",
   "{M}从[商店|集市|外面]回来，给{H}带了一{om}{col}的{obj}。",
   "{H}一直想要一{om}{col}的{obj}。有一天，{M}真的送了{he}一{om}！",
   "{M}笑眯眯地说要给{H}一个惊喜，原来是一{om}{col}的{obj}！",
   )
_z("find_home_had",
   "{H}有一{om}{col}的{obj}，那是{he}最喜欢的宝贝。",
   "{H}有一{om}{oa_attr}{col}{obj}，{he}走到哪里都带着它。",
   "在{H}所有的东西里，{he}最喜欢那{om}{col}的{obj}。",
   )
_z("find_place",
   "{H}在{spot}发现了一{om}{col}的{obj}。",
   "忽然，{H}看见{spot}有一{om}{oa_attr}{col}{obj}。",
   "{H}一边走一边看，在{spot}捡到了一{om}{col}的{obj}。",
   "咦？{spot}有个{col}的东西。{H}走近一看，原来是一{om}{obj}！",
   "一位[和气|慈祥|热情]的[老奶奶|老爷爷|阿姨|叔叔]把一{om}{col}的{obj}送给了{H}。",
   )
_z("describe_obj",
   "这{om}{obj}{oa_pred}，{H}喜欢极了。",
   "{H}把{obj}拿在手里，[开心地笑了|看了又看|舍不得放下]。",
   "“这{om}{obj}真{oa_g}啊！”{H}[说|高兴地说|小声说]。",
   "{H}给{obj}起了个名字，叫“{toyname}”。",
   "{obj}是{col}的，就像{col_like}一样。",
   "{H}[每天|整天]都{use_phrase}，一刻也不想放下。",
   "{obj}上面有[一颗小星星|几道花纹|一个小笑脸|一圈亮亮的边]，看起来{oa_g}极了。",
   "“我要好好爱护它。”{H}[认真地说|对自己说|小声地说]。",
   "{H}把{obj}给{his_pet}看，{his_pet}[摇了摇尾巴|歪着头看了半天|好奇地闻了闻]。",
   )
_z("go_with",
   "[后来|吃完早饭|吃过午饭|下午|第二天]，{H}带着{obj}去了{place}。",
   "{M}带{H}去{place}[玩|散步|野餐]，{H}把{obj}也带上了。",
   "{H}想让大家看看{he}的{obj}，就[高高兴兴地|蹦蹦跳跳地|一路小跑着]去了{place}。",
   "{H}把{obj}放进[书包|小篮子|口袋]里，和{M}一起去了{place}。",
   "“我们带着{obj}去{place}吧！”{H}说。{M}笑着答应了。",
   )
_z("go_ride",
   "{H}骑着{obj}去了{place}。",
   "{H}跳上{obj}，一路骑到了{place}。",
   )
_z("go_plain",
   "[有一天|这天|吃过早饭|一个周末]，{H}和{M}一起去了{place}。",
   "{H}[蹦蹦跳跳地|高高兴兴地|一路小跑着]来到了{place}。",
   "“我们去{place}吧！”{H}说。于是，{he}和{M}一起出发去了{place}。",
   "{H}从来没有去过{place}。今天，{M}终于要带{he}去了！",
   "{H}求{M}带{he}去{place}，{M}[笑着|爽快地]答应了。",
   )
_z("describe_place",
   "{place}真{pa1}啊！",
   "在{place_loc}，{H}看到了{s1}和{s2}。",
   "{place}又{pa1}又{pa2}，{H}看到了{s1}。",
   "{H}很喜欢{place}，因为这里有{s1}。",
   "{H}先去看了{s1}，又去看了{s2}，眼睛都看不过来了。",
   )
_z("meet",
   "在{place_loc}，{H}遇到了{F}。{F}是一{fkm}{fc_adj}的{fkind}。",
   "{H}看见了{he}的好朋友{F}，{F}正在[荡秋千|看书|找东西|唱歌|看云朵]。",
   "“你好，{H}！”{F}[跑过来|笑着|挥着手]说。{F}是{H}的好朋友。",
   "这时候，一{fkm}{fc_adj}的{fkind}走了过来，{fhe}叫{F}。",
   "{H}认识了一{fkm}新朋友，{fhe}叫{F}，是一{fkm}{fc_adj}的{fkind}。",
   "“我叫{F}，你叫什么名字？”一{fkm}{fc_adj}的{fkind}问{H}。",
   )
_z("meet_talk",
   "“看，我的{col}{obj}！”{H}说。“哇，真{oa_g}！”{F}说。",
   "{F}问：“你的{obj}是从哪里来的？”{H}[笑着|得意地]把事情讲了一遍。",
   "{F}和{H}[打了个招呼|互相挥了挥手]，开始聊起天来。",
   "“我们一起玩吧！”{F}说。“好呀！”{H}[高兴地|马上]答应了。",
   )
_z("animal_out",
   "路上，{H}看见一{am}{animal}{a_act}。",
   "{H}停下来，看着一{am}{animal}{a_act}，[觉得有趣极了|看了好久|轻轻地跟它打招呼]。",
   "忽然，{H}发现一{am}{animal}{a_act}。",
   "不远处，有一{am}{an_adj}的{animal}{a_act}。",
   "“快看，一{am}{animal}！”{H}小声地说。那{am}{animal}正{a_act}呢。",
   )
_z("animal_in",
   "{H}透过窗户，看见外面有一{am}{animal}{a_act}。",
   "窗外，一{am}{an_adj}的{animal}{a_act}，{H}看得入了迷。",
   )
_z("neg_feel",
   "{H}心里很{neg}。",
   "{H}[急得快要哭了|心里又{neg}又着急]。",
   "{H}[低下了头|撅起了小嘴|眼圈都红了]，心里[很|特别]{neg}。",
   )
_z("lost_start",
   "可是，{H}[忽然|突然]发现{he}的{obj}不见了！",
   "过了一会儿，{H}想找{he}的{obj}，可是怎么也找不到了！",
   "“咦，我的{obj}呢？”{H}[到处看了看|摸了摸口袋|转了一圈]，{obj}不见了！",
   )
_z("lost_search",
   "{he}找了{sp1}，又找了{sp2}，都没有找到。",
   "{H}在{sp1}找了半天，只找到了[一片树叶|一颗小石子|一根羽毛]。",
   )
_z("lost_help",
   "{A}说：“别着急，我们一起找。”",
   "{A}[跑过来|走过来]帮{he}一起找。",
   "“你最后是在哪里玩的？”{A}问。{H}想了想，[指了指前面|说在那边]。",
   )
_z("lost_found",
   "最后，{A}在{sp3}找到了{obj}！",
   "找啊找，他们终于在{sp3}找到了{obj}！",
   "“在这儿呢！”{A}[大声喊道|高兴地说]。原来{obj}就在{sp3}。",
   )
_z("thanks",
   "{H}对{A}说：“谢谢你！”",
   "{H}紧紧地抱住了{A}，说：“你真好！”",
   "“谢谢你帮我！”{H}[笑着|高兴地|大声地]对{A}说。",
   "{H}[向{A}鞠了一躬|拉着{A}的手]，说了好几遍谢谢。",
   )
_z("tree",
   "一阵大风吹来，把{obj}吹到了高高的树上。",
   "{H}把{obj}抛得太高，结果挂在了树枝上。",
   "呼——风一吹，{obj}就飞上了[大树|屋檐|篱笆顶]，怎么也够不着。",
   )
_z("tree_help",
   "{A}找来一根长竹竿，小心地把{obj}拨了下来。",
   "{A}搬来梯子，爬上去把{obj}拿了下来。",
   "{A}[踮起脚|跳了一下]，一伸手就把{obj}拿了下来。",
   )
_z("puddle",
   "{H}一不小心，{obj}掉进了泥水坑里，变得脏兮兮的。",
   "扑通一声，{obj}从{H}手里滑了下去，掉进了[泥坑|水坑|小水沟]里。",
   )
_z("puddle_help",
   "{A}帮{he}用清水把{obj}洗得干干净净。",
   "{A}拿来一块软布，把{obj}擦干净了。",
   "{A}和{H}一起把{obj}冲洗干净，放在太阳底下晒干了。",
   )
_z("break",
   "不小心，{obj}{broke}。",
   "{H}一松手，{obj}掉在地上{broke}。",
   "啪的一声，{obj}{broke}。",
   )
_z("break_fix",
   "{A}说：“别担心，我们能修好它。”{A}用{fix}把{obj}修好了。",
   "{A}和{H}一起用{fix}把{obj}修好了。",
   "{A}拿来{fix}，一点一点地把{obj}修好了，看起来和新的一样。",
   )
_z("scared",
   "忽然，传来一阵[奇怪的声音|轰隆隆的雷声|大狗的叫声]，{H}吓了一跳。",
   "天色暗了下来，{H}有点儿害怕。",
   "一个黑乎乎的影子一晃而过，{H}[吓得躲到了{A}身后|一动也不敢动]。",
   )
_z("scared_help",
   "{A}拉着{he}的手说：“别怕，有我在。”",
   "{A}摸摸{he}的头说：“没关系，我们一起勇敢一点。”",
   "{A}走过去一看，笑着说：“原来只是[风吹树叶的声音|一只小猫|一个纸箱子]呀！”",
   )
_z("scared_after",
   "{H}深深地吸了一口气，慢慢地不害怕了。",
   "{H}[笑了起来|松了一口气]，心里不再害怕了。",
   )
_z("friendsad",
   "{F}看起来很难过，因为{fhe}[的冰淇淋掉在了地上|没有人一起玩|的纸船被风吹走了]。",
   "{F}一个人坐在一边，[不说话|低着头|眼睛红红的]。",
   )
_z("friendsad_help",
   "{H}[把自己的点心分给了{fhe}|给了{fhe}一个大大的拥抱|给{fhe}讲了一个好笑的故事]。不一会儿，{F}就笑了。",
   "{H}走过去说：“别难过，我陪你玩吧！”{F}[擦了擦眼泪|点了点头]，笑了。",
   )
_z("share",
   "{F}没有{obj}，{H}就把自己的{obj}借给{fhe}{use_short}。",
   "{H}和{F}轮流{use_phrase}，玩得可高兴了。",
   "“我们一起{use_phrase}吧！”{H}对{F}说。{F}[高兴地点了点头|笑着说好]。",
   "{F}一直看着{H}的{obj}。{H}笑着说：“给你{use_short}一会儿吧！”",
   "{H}先{use_phrase}，然后让{F}也试一试。两个人都[笑了|很开心|玩得很起劲]。",
   )
_z("count_add",
   "{H}{gather}{n_a}{im}{item}，后来{gather_more}{n_b}{im}。现在{he}一共有{n_t}{im}{item}了。",
   "{H}先{gather}{n_a}{im}{item}，{giver2}又给了{he}{n_b}{im}。{n_a_p}加{n_b_p}等于{n_t_p}，{H}一共有{n_t}{im}{item}。",
   "{H}的{container}里有{n_a}{im}{item}。{he}{gather_more}{n_b}{im}，现在一共有{n_t}{im}{item}了。",
   "“我们来数一数吧！”{H}说。{he}先数出{n_a}{im}{item}，又{gather}{n_b}{im}，一共有{n_t}{im}{item}。",
   )
_z("count_sub",
   "{H}有{n_a}{im}{item}，{he}送给{recv}{n_b}{im}，还剩下{n_t}{im}{item}。",
   "{H}的{container}里有{n_a}{im}{item}，可是路上掉了{n_b}{im}，现在只剩下{n_t}{im}{item}了。",
   "{H}数了数，一共有{n_a}{im}{item}。{he}分给{recv}{n_b}{im}，{n_a_p}减{n_b_p}等于{n_t_p}，还剩{n_t}{im}{item}。",
   )
_z("count_eat",
   "{H}有{n_a}{im}{item}，{he}吃了{n_b}{im}，还剩下{n_t}{im}{item}。",
   )
_z("play_friend",
   "{H}和{F}一起玩{game}，玩了[好久|一下午|整整一个上午]。",
   "他们用{material}搭了一{bm}{build}。",
   "{H}和{F}[跑啊跳啊|追来追去|笑个不停]，玩得满头大汗。",
   "{F}教{H}{f_act}，{H}学得[可认真了|很快|有模有样]。",
   "{H}和{F}一起唱了一首关于{song}的歌。",
   "“我们来玩{game}吧！”{F}说。他们玩得[可起劲了|一点也不觉得累]。",
   )
_z("play_alone",
   "{H}一个人{act}，玩得可认真了。",
   "{H}用{material}搭了一{bm}{build}。",
   "{H}{use_phrase}，玩了好长时间。",
   "{H}画了一幅画，画上有{picture}。",
   "{H}把{obj}当成了{pretend}，玩得[可开心了|不亦乐乎]。",
   )
_z("snack",
   "{M}拿出了{food}，{H}吃得[香极了|津津有味]。",
   "[过了一会儿|到了中午]，{H}饿了。{M}给{he}准备了{food}。",
   "{H}和[{M}|大家]坐在[草地上|树荫下|长椅上]，一起吃{food}。",
   "“真好吃！”{H}一边吃{food}，一边说。",
   )
_z("feeling",
   "{H}觉得[非常|特别|很]{feel}。",
   "{H}心里[非常|特别]{feel}。",
   "那天，{H}[非常|特别]{feel}。",
   "{H}笑了，{he}觉得{feel}极了。",
   "这一天过得真充实，{H}心里[非常|特别]{feel}。",
   "{H}[眯着眼睛笑|哼着小曲]，心里觉得{feel}。",
   )
_z("moral",
   "{H}明白了：{lesson}。",
   "{M}说：“{lesson}。”{H}点了点头。",
   "{H}心里想：原来{lesson}啊！",
   "从这件事里，{H}懂得了{lesson}。",
   )
_z("closer",
   "晚上，{H}抱着{col}的{obj}，[甜甜地|很快就]睡着了。",
   "那天晚上，{H}梦见自己{dream}。",
   "{H}真希望明天还能再来{place}。",
   "这真是[美好|难忘|有趣]的一天！",
   "回到家，{H}把今天的事情都讲给{M}听。",
   "{H}把{col}的{obj}放在床头，[每天都要看一看|睡觉前还摸了摸它]。",
   "星星出来了，{H}躺在床上，想着今天发生的事，慢慢地睡着了。",
   "{H}[拉着|牵着]{M}的手，[一路唱着歌|高高兴兴地|蹦蹦跳跳地]回家了。",
   )
_z("closer_friend",
   "从那以后，{H}和{F}成了最好的朋友。",
   "{H}和{F}约好，[明天|下个周末|以后每天]还要一起玩。",
   "“明天见，{F}！”“明天见，{H}！”两个好朋友挥手告别。",
   )

_z("scene",
   "{sc_who}正在{sc_spot}{sc_act}。",
   "{H}看见{sc_who}在{sc_spot}{sc_act}。",
   "在{sc_spot}，{sc_who}正在{sc_act}，{sc_who2}在一旁{sc_act2}。",
   "{sc_who}一边{sc_act}，一边[哼着歌|笑着跟大家打招呼|看着来来往往的人]。",
   "{H}向{sc_who}挥了挥手，{sc_who_short}正在{sc_spot}{sc_act}呢。",
   )
ZH_COLOUR_LIKE = {
    "红色": ["熟透的苹果", "小草莓"], "蓝色": ["大海", "晴朗的天空"], "绿色": ["小草", "树叶"],
    "黄色": ["香蕉", "向日葵"], "橙色": ["橘子", "胡萝卜"], "紫色": ["葡萄", "茄子"], "粉色": ["桃花", "棉花糖"],
    "棕色": ["巧克力", "树干"], "黑色": ["夜空", "乌鸦的羽毛"], "白色": ["雪花", "白云"], "灰色": ["小老鼠", "阴天的云"],
    "金色": ["蜂蜜", "早晨的太阳"], "银色": ["月亮", "小勺子"], "天蓝色": ["天空", "湖水"], "浅绿色": ["嫩芽", "青苹果"],
    "深蓝色": ["夜晚的大海", "蓝莓"], "米色": ["沙滩", "燕麦饼干"], "青色": ["荷叶", "湖水"],
}
assert set(ZH_COLOUR_LIKE) == set(W.ZH_COLOURS)
_ZH_NEG_BY_PROBLEM = {"lost": ["着急", "难过", "伤心", "担心"], "tree": ["着急", "难过", "失望"],
                      "break": ["难过", "伤心", "委屈", "失望"], "scared": ["害怕", "紧张"],
                      "puddle": ["难过", "着急", "委屈"]}
_ZH_OPENER_GROUPS = {"find_home_found", "find_place", "go_with", "go_plain", "go_ride", "describe_place",
                     "animal_out", "play_friend", "play_alone", "share", "count_add", "count_sub"}
_ZH_REDUP_ADJ = {"亮晶晶", "软软", "圆圆", "闪闪发光", "毛茸茸"}
_ZH_GRADABLE_ADJ = [a for a in W.ZH_OBJ_ADJ if a not in _ZH_REDUP_ADJ and a != "崭新"]
_ZH_OBJ = {name: (m, kind) for name, m, kind in W.ZH_OBJECTS}
_ZH_OBJ_NAMES = [o[0] for o in W.ZH_OBJECTS]
_ZH_PLACE_INFO = {name: (indoor, sights) for name, indoor, sights in W.ZH_PLACES}
_ZH_PLACE_NAMES = [p[0] for p in W.ZH_PLACES]
_ZH_ON_PLACES = {"小岛", "山顶", "小山坡", "草地", "广场"}
_ZH_HELPER_PRON = dict(W.ZH_HELPERS)
_ZH_ANIMAL_M = dict(W.ZH_ANIMALS)
_ZH_ANIMAL_NAMES = [a for a, _ in W.ZH_ANIMALS]
_ZH_HERO_M = dict(W.ZH_HERO_ANIMALS)


@functools.lru_cache(maxsize=None)
def _zh_animals_for(place: str, indoor: bool) -> list:
    out = []
    for animal in _ZH_ANIMAL_NAMES:
        kind = W.ZH_ANIMAL_KIND[animal]
        if kind in ("bird", "bug", "small", "pet"):
            out.append(animal)
        elif indoor:
            continue
        elif kind == "water" and place in W.ZH_WATER_PLACES:
            out.append(animal)
        elif kind == "farm" and place in W.ZH_FARM_PLACES:
            out.append(animal)
        elif kind == "wild" and place in W.ZH_WILD_PLACES and (animal != "熊猫" or place in ("竹林", "动物园")):
            out.append(animal)
    return out
_ZH_HERO_KINDS = [a for a, _ in W.ZH_HERO_ANIMALS]
_ZH_ALL_NAMES = W.ZH_GIRL_NAMES + W.ZH_BOY_NAMES
_ZH_ITEMS = {name: (m, g) for name, m, g in W.ZH_ITEMS}

_ZH_BASE = dict(
    c_adj=W.ZH_CHAR_ADJ, c_adj2=W.ZH_CHAR_ADJ, home_spot=W.ZH_HOME_SPOTS, game=W.ZH_GAMES, food=W.ZH_FOODS,
    dream=W.ZH_DREAMS, toyname=W.ZH_PET_NAMES, container=["篮子", "口袋", "小桶", "书包", "盒子"],
    season=["春天", "夏天", "秋天", "冬天"], petname=W.ZH_PET_NAMES,
    song=["月亮", "小星星", "大海", "春天", "好朋友", "小白兔", "彩虹", "小雨点"],
    picture=["一个大太阳", "一座小房子", "一片大海", "一道彩虹", "一棵大树", "一群小鸭子", "一艘大轮船"],
    pretend=["一艘宇宙飞船", "一座城堡", "一件宝贝", "一辆小火车", "一个会说话的朋友"],
    an_adj=["可爱", "胖乎乎", "小小", "调皮", "安静", "好奇", "漂亮"],
)
_ZH_PETS = ["小狗", "小猫", "小兔子", "小金鱼", "小乌龟", "小鹦鹉", "小仓鼠"]


def _zh_use(obj, kind):
    """(short verb, verb phrase with the object) for using an object."""
    if kind == "wear":
        v = W.ZH_WEAR_VERB.get(obj, "戴")
        return v, v + obj
    if kind == "music":
        v = W.ZH_MUSIC_VERB.get(obj, "玩")
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


class _ZhBuilder(_EnBuilder):
    WEATHER_LINES = W.ZH_WEATHER
    NEG_BY_PROBLEM = _ZH_NEG_BY_PROBLEM
    NEG_FEEL = W.ZH_NEG_FEEL
    PROBLEM_BEATS = {
        "lost": (["lost_start", "neg_feel", "lost_search", "lost_help", "lost_found", "thanks"], ["lost", "help"]),
        "tree": (["tree", "neg_feel", "tree_help", "thanks"], ["help"]),
        "puddle": (["puddle", "neg_feel", "puddle_help", "thanks"], ["help"]),
        "break": (["break", "neg_feel", "break_fix", "thanks"], ["help"]),
        "scared": (["scared", "scared_help", "scared_after"], ["brave"]),
        "friendsad": (["friendsad", "friendsad_help"], ["help", "share"]),
    }

    def say(self, name, idx=None):
        group = ZT[name]
        out = []
        _emit(group[int(self.rng.random() * len(group)) if idx is None else idx], self.ctx, self.rng, out)
        s = "".join(out).replace(_AN_MARK, "")
        if name in _ZH_OPENER_GROUPS and self.rng.random() < 0.25 and s.startswith(self.ctx["H"]):
            s = self.rng.choice(W.ZH_OPENERS) + s
        self.paras[-1].append(s)
        self.words += len(s)

    def say_raw(self, s):
        self.paras[-1].append(s)
        self.words += len(s)

    def text(self):
        return "\n\n".join("".join(p) for p in self.paras if p)

    def setup(self):
        rng = self.rng
        c = dict(_ZH_BASE)
        self.ctx = c
        self.animal_hero = rng.random() < 0.3
        if self.animal_hero:
            name = rng.choice(W.ZH_PET_NAMES)
            kind = rng.choice(_ZH_HERO_KINDS)
            km = _ZH_HERO_M[kind]
            he = rng.choice("他她")
        else:
            if rng.random() < 0.5:
                name, he, kind = rng.choice(W.ZH_GIRL_NAMES), "她", "小女孩"
            else:
                name, he, kind = rng.choice(W.ZH_BOY_NAMES), "他", "小男孩"
            km = "个"
        c.update(H=name, he=he, kind=kind, km=km)
        self.animal_friend = rng.random() < (0.8 if self.animal_hero else 0.2)
        while True:
            if self.animal_friend:
                fname, fkind = rng.choice(W.ZH_PET_NAMES), rng.choice(_ZH_HERO_KINDS)
                fkm, fhe = _ZH_HERO_M[fkind], rng.choice("他她")
            elif rng.random() < 0.5:
                fname, fhe, fkind, fkm = rng.choice(W.ZH_GIRL_NAMES), "她", "小女孩", "个"
            else:
                fname, fhe, fkind, fkm = rng.choice(W.ZH_BOY_NAMES), "他", "小男孩", "个"
            if fname != name:
                break
        c.update(F=fname, fhe=fhe, fkind=fkind, fkm=fkm, fc_adj=rng.choice(W.ZH_CHAR_ADJ))
        helper = _pick_helper(rng, W.ZH_HELPER_FAMILY, W.ZH_HELPER_TITLED, (name, fname))
        c["M"], c["mhe"] = helper, _ZH_HELPER_PRON[helper]
        c["act"], c["act2"] = rng.sample(W.ZH_ACTIVITIES, 2)
        c["f_act"] = rng.choice(W.ZH_ACTIVITIES)
        c["pet"] = pet = rng.choice(_ZH_PETS)
        c["petname"] = rng.choice([p for p in rng.sample(W.ZH_PET_NAMES, 3) if p not in (name, fname)])
        c["his_pet"] = he + "的" + pet
        obj = rng.choice(_ZH_OBJ_NAMES)
        om, okind = _ZH_OBJ[obj]
        info = W.ZH_KINDS[okind]
        col = rng.choice(W.ZH_COLOURS)
        c.update(obj=obj, om=om, col=col, col_like=ZH_COLOUR_LIKE[col])
        c["use_short"], c["use_phrase"] = _zh_use(obj, okind)
        i = int(rng.random() * len(info["broke"]))
        c["broke"], c["fix"] = info["broke"][i], info["fix"][i % len(info["fix"])]
        self.okind, self.light = okind, info["light"]
        if okind == "ride":
            c["home_spot"] = ["院子里", "车库里", "门口", "楼下的车棚里"]
        adj = rng.choice(W.ZH_OBJ_ADJ)
        c["oa_attr"] = adj + "的"
        c["oa_pred"] = (adj + "的") if adj in _ZH_REDUP_ADJ else ("非常" + adj)
        c["oa_g"] = rng.choice(_ZH_GRADABLE_ADJ)
        place = rng.choice(_ZH_PLACE_NAMES)
        indoor, sights = _ZH_PLACE_INFO[place]
        self.indoor = indoor
        c["place"] = place
        c["place_loc"] = place + "上" if place in _ZH_ON_PLACES else place
        c["pa1"], c["pa2"] = _pick2(rng, W.ZH_PLACE_ADJ)
        c["s1"], c["s2"] = _pick2(rng, sights)
        c["spot"] = W.ZH_IN_SPOTS if indoor else W.ZH_OUT_SPOTS
        c["feel"], c["neg"] = rng.choice(W.ZH_POS_FEEL), rng.choice(W.ZH_NEG_FEEL)
        c["weather"], c["tod"] = rng.choice(list(W.ZH_WEATHER)), rng.choice(W.ZH_TIMES)
        build, bm, material = rng.choice(W.ZH_BUILDS)
        c.update(build=build, bm=bm, material=material)
        self.facts.update(hero=name, pronoun=he, kind=kind, object=obj, colour=col, place=place)

    def describe_place(self):
        self.say("describe_place")
        if self.rng.random() < 0.35:
            self.scene()

    def _scene_parts(self):
        rng, c = self.rng, self.ctx
        for k in ("", "2"):
            person = rng.choice(W.ZH_SCENE_PERSON)
            adj = rng.choice(W.ZH_SCENE_PERSON_ADJ) + "的" if rng.random() < 0.7 else ""
            c["sc_who" + k] = ("一位" if person != "一家人" else "") + adj + person
            c["sc_act" + k] = rng.choice(W.ZH_SCENE_ACT)
            if not k:
                c["sc_who_short"] = person
        c["sc_spot"] = rng.choice(W.ZH_SCENE_SPOT)

    def scene(self):
        if self.indoor:
            return False
        for _ in range(self.rng.choice((1, 2, 2, 3))):
            self._scene_parts()
            self.say("scene")
        return True

    def meet(self):
        if self.friend_met:
            return False
        self.say("meet")
        self.friend_met = True
        self.facts["friend"] = self.ctx["F"]
        if self.rng.random() < 0.5:
            self.say("meet_talk")
        return True

    def animal(self):
        c = self.ctx
        animal = self.rng.choice(_zh_animals_for(c["place"], self.indoor))
        c["animal"], c["am"] = animal, _ZH_ANIMAL_M[animal]
        c["a_act"] = W.ZH_ANIMAL_ACTS_BY_KIND[W.ZH_ANIMAL_KIND[animal]]
        self.say("animal_in" if self.indoor else "animal_out")
        self.facts["animal"] = animal
        return True

    def _agent(self):
        c = self.ctx
        if self.friend_met and self.rng.random() < 0.7:
            c["A"] = c["F"]
        else:
            c["A"] = c["M"]

    def _problem_kinds(self) -> list[str]:
        kinds = ["lost", "break", "scared"]
        if not self.indoor:
            kinds.append("puddle")
            if self.light:
                kinds += ["tree", "tree"]
        if self.friend_met:
            kinds.append("friendsad")
        return kinds

    def share(self):
        if not self.friend_met:
            self.meet()
        self.say("share")
        self.themes.append("share")
        self.facts["shared_with"] = self.ctx["F"]
        return True

    def count(self):
        rng = self.rng
        c = self.ctx
        item = rng.choice(list(_ZH_ITEMS))
        im, group = _ZH_ITEMS[item]
        c.update(item=item, im=im, gather=W.ZH_GATHER[group], gather_more=W.ZH_GATHER_MORE[group])
        c["giver2"] = c["recv"] = c["F"] if self.friend_met else c["M"]
        if rng.random() < 0.6:
            a, b = rng.randint(1, 10), rng.randint(1, 10)
            t, op, g = a + b, "+", "count_add"
        else:
            a = rng.randint(3, 15)
            b = rng.randint(1, a - 1)
            t, op = a - b, "-"
            g = "count_eat" if group in ("baked", "fruit") and rng.random() < 0.5 else "count_sub"
        c.update(n_a=_zh_num(a), n_b=_zh_num(b), n_t=_zh_num(t),
                 n_a_p=_zh_num(a, False), n_b_p=_zh_num(b, False), n_t_p=_zh_num(t, False))
        self.say(g)
        self.facts["sum"] = {"a": a, "b": b, "total": t, "op": op, "item": item, "measure": im}
        self.themes.append("count")
        return True

    def snack(self):
        self.say("snack")
        return True

    def talk(self):
        self.say("describe_obj")
        return True

    def build(self):
        rng = self.rng
        self.setup()
        self.opening()
        if rng.random() < 0.6:
            self.obtain_at_home()
        else:
            self.say("go_plain")
            if rng.random() < 0.6:
                self.describe_place()
            self.para(0.4)
            self.say("find_place")
            self.facts["how"] = "found"
            for _ in range(rng.choice((0, 1, 1, 2))):
                self.say("describe_obj")
        self.para(0.6)
        target = rng.randint(130, 430)
        weights = dict(meet=3.0, animal=1.5, problem=2.0, share=1.2, count=2.0, play=1.2, snack=0.7, scene=2.0)
        order = sorted(weights, key=lambda k: -rng.random() ** (1.0 / weights[k]))
        for ev in order:
            if self.words + 40 >= target:
                break
            if getattr(self, ev)():
                self.para(0.4)
        while self.words < 95:
            getattr(self, rng.choice(("play", "snack", "talk")))()
        self.para(0.5)
        if rng.random() < 0.92:
            self.say("feeling")
            self.facts["feeling"] = self.ctx["feel"]
        if rng.random() < 0.6:
            theme = rng.choice(self.themes) if self.themes and rng.random() < 0.8 else "general"
            self.ctx["lesson"] = W.ZH_LESSONS[theme]
            self.say("moral")
        for idx in rng.sample(range(len(ZT["closer"])), rng.choice((1, 1, 2))):
            self.say("closer", idx)
        if self.friend_met and rng.random() < 0.4:
            self.say("closer_friend")
        return self.text()


_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def _zh_len(text: str) -> int:
    return len(_CJK_RE.findall(text))


def _zh_story(rng: random.Random, sid: str) -> Story:
    for _ in range(50):
        b = _ZhBuilder(rng)
        text = b.build()
        if 120 <= _zh_len(text) <= 450:
            return Story(sid, text, b.facts)
    return Story(sid, text, b.facts)  # pragma: no cover


# =============================================================================================
# Public API: stories
# =============================================================================================

def _check(split: str, lang: str):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")


def _story_rng(seed: int, split: str, lang: str, i: int) -> random.Random:
    # string seeds are hashed with SHA-512 by `random`: stable across runs and platforms
    return random.Random(f"tinyllm-synthetic/{GENERATOR_VERSION}/{lang}/{split}/{seed}/{i}")


def iter_stories(seed: int, split: str, lang: str = "en", n: int | None = None) -> Iterator[Story]:
    """Stories for (seed, split, lang), deterministic; n=None means endless.

    Story i depends only on (seed, split, lang, i), so any prefix is reproducible on its own.
    Bad arguments raise ValueError at once.
    """
    _check(split, lang)
    if n is not None and n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _stream(seed, split, lang, n)


def _stream(seed, split, lang, n):
    make = _en_story if lang == "en" else _zh_story
    i = 0
    while n is None or i < n:
        yield make(_story_rng(seed, split, lang, i), f"{split}-{i:06d}")
        i += 1


def word_count(text: str, lang: str = "en") -> int:
    """Whitespace words for English, CJK characters for Chinese."""
    return len(text.split()) if lang == "en" else _zh_len(text)


# =============================================================================================
# Questions, dialogues and preference pairs
# =============================================================================================

_EN_Q = {
    "colour": ["What color was the {obj}?", "What color was {H}'s {obj}?", "What color was the {obj} in the story?"],
    "object": ["What {col} thing did {H} have?", "What did {H} have that was {col}?",
               "What {col} object is in the story?"],
    "place": ["Where did {H} go?", "What place did {H} visit?", "Where did {H} go in the story?"],
    "feeling": ["How did {H} feel at the end?", "How did {H} feel at the end of the story?"],
    "friend": ["Who did {H} meet?", "What is the name of {H}'s friend?", "Who was {H}'s friend in the story?"],
    "hero": ["Who is the story about?", "Who is the main character of the story?"],
    "animal": ["What animal did {H} see?", "Which animal did {H} see in the story?"],
    "weather": ["What was the weather like?", "What was the weather like at the start of the story?"],
    "time": ["What time of day was it at the start of the story?", "When did the story begin?"],
    "giver": ["Who gave {H} the {obj}?", "Who gave the {col} {obj} to {H}?"],
    "sum+": ["How many {items} did {H} have in the end?", "How many {items} did {H} have after that?"],
    "sum-": ["How many {items} did {H} have left?", "How many {items} did {H} have in the end?"],
}
_EN_A = {
    "colour": ["The {obj} was {X}.", "{H}'s {obj} was {X}.", "It was {X}."],
    "object": ["{H} had {a} {col} {X}.", "It was {a} {col} {X}.", "The {col} thing was {a} {X}."],
    "place": ["{H} went to {X}.", "{H} visited {X}.", "{pron} went to {X}."],
    "feeling": ["{H} felt {X} at the end.", "At the end, {H} felt {X}.", "{pron} felt {X}."],
    "friend": ["{H} met {X}.", "{H}'s friend was {X}.", "The friend's name was {X}."],
    "hero": ["The story is about {X}.", "The main character is {X}.", "It is about {X}."],
    "animal": ["{H} saw {a} {X}.", "It was {a} {X}.", "{pron} saw {a} {X}."],
    "weather": ["The weather was {X}.", "It was {X}.", "It was {a} {X} day."],
    "time": ["It was {X}.", "The story began in the {X}.", "It was the {X}."],
    "giver": ["{X} gave {H} the {obj}.", "It was a gift from {X}.", "{X} did."],
    "sum+": ["{H} had {X_items} in the end.", "In the end, {H} had {X_items}.", "{X_items}."],
    "sum-": ["{H} had {X_items} left.", "In the end, {H} had {X_items}.", "{X_items} were left."],
}
_ZH_Q = {
    "colour": ["{H}的{obj}是什么颜色的？", "故事里的{obj}是什么颜色的？"],
    "object": ["故事里那个{col}的东西是什么？", "{H}有一样{col}的东西，它是什么？"],
    "place": ["{H}去了哪里？", "{H}去了什么地方？"],
    "feeling": ["故事的最后，{H}心里觉得怎么样？", "最后{H}的心情怎么样？"],
    "friend": ["{H}遇到了谁？", "{H}的朋友叫什么名字？"],
    "hero": ["这个故事讲的是谁？", "故事的主人公叫什么名字？"],
    "animal": ["{H}看见了什么动物？", "故事里{H}看到了哪种动物？"],
    "weather": ["故事开始的时候，天气怎么样？"],
    "time": ["故事开始的时候是一天中的什么时候？"],
    "giver": ["是谁送给{H}{obj}的？"],
    "sum+": ["最后{H}一共有多少{im}{item}？"],
    "sum-": ["{H}还剩下多少{im}{item}？"],
}
_ZH_A = {
    "colour": ["{H}的{obj}是{X}的。", "是{X}的。"],
    "object": ["是一{Xm}{col}的{X}。", "{H}有一{Xm}{col}的{X}。"],
    "place": ["{H}去了{X}。", "{pron}去了{X}。"],
    "feeling": ["{H}觉得很{X}。", "最后{H}心里很{X}。"],
    "friend": ["{H}遇到了{X}。", "{H}的朋友叫{X}。"],
    "hero": ["这个故事讲的是{X}。", "主人公叫{X}。"],
    "animal": ["{H}看见了一{Xm}{X}。"],
    "weather": ["那是一个{X}的{tod}。"],
    "time": ["故事开始的时候是{X}。"],
    "giver": ["是{X}送的。", "{X}送给了{H}这{om}{obj}。"],
    "sum+": ["{H}一共有{X}{im}{item}。"],
    "sum-": ["{H}还剩下{X}{im}{item}。"],
}
_Q = {"en": ({k: _compile(v) for k, v in _EN_Q.items()}, {k: _compile(v) for k, v in _EN_A.items()}),
      "zh": ({k: _compile(v) for k, v in _ZH_Q.items()}, {k: _compile(v) for k, v in _ZH_A.items()})}
_KINDS = ("hero", "object", "colour", "place", "friend", "feeling", "sum", "animal", "weather", "time", "giver")
_EN_POOLS = {
    "colour": W.COLOURS, "object": _OBJ_NAMES, "place": _PLACE_NAMES * 15 + _NAMED_PLACE_NAMES, "feeling": W.POS_FEEL,
    "animal": _ANIMAL_NAMES, "weather": list(W.WEATHER), "time": W.TIMES + ["night", "noon", "midnight"],
    "giver": _HELPER_NAMES,
}
_ZH_POOLS = {
    "colour": W.ZH_COLOURS, "object": _ZH_OBJ_NAMES, "place": _ZH_PLACE_NAMES, "feeling": W.ZH_POS_FEEL,
    "animal": _ZH_ANIMAL_NAMES, "weather": list(W.ZH_WEATHER), "time": W.ZH_TIMES + ["中午", "晚上", "半夜"],
    "giver": [h for h, _ in W.ZH_HELPERS],
}
_PET_SET, _ZH_PET_SET = set(W.PET_NAMES), set(W.ZH_PET_NAMES)
_WORDS_RE = re.compile(r"\w+")


@functools.lru_cache(maxsize=1 << 16)
def _norm_en(s: str) -> str:
    return " " + " ".join(_WORDS_RE.findall(s.lower())) + " "


def _contains(text: str, phrase: str, lang: str) -> bool:
    """Whether phrase occurs in text: as whole words, any case (English); as a substring (Chinese)."""
    if lang == "zh":
        return phrase in text
    return _norm_en(phrase) in _norm_en(text)


def _answer_value(kind, facts, lang):
    if kind == "sum":
        t = facts["sum"]["total"]
        return str(t) if lang == "en" else _zh_num(t)
    return facts[kind]


def _pool(kind, answer, lang):
    if kind in ("friend", "hero"):
        if lang == "en":
            return W.PET_NAMES if answer in _PET_SET else W.ALL_NAMES
        return W.ZH_PET_NAMES if answer in _ZH_PET_SET else _ZH_ALL_NAMES
    return (_EN_POOLS if lang == "en" else _ZH_POOLS)[kind]


def _sum_distractors(facts, rng, lang, k=4):
    s = facts["sum"]
    a, b, t = s["a"], s["b"], s["total"]
    cands = [a, b, t + 1, t - 1, t + 2, t - 2, a + b if s.get("op") == "-" else abs(a - b), t + 10]
    out = []
    for x in rng.sample(cands, len(cands)):
        if x != t and x >= 0 and x not in out:
            out.append(x)
    out = out[:k]
    return [str(x) if lang == "en" else _zh_num(x) for x in out]


def _overlaps(kind, answer, x, lang):
    """x cannot serve as a wrong answer: it contains the answer, is contained in it, or (places) is
    the same kind of place ("the park" is no wrong answer for "Willow Park")."""
    if x == answer or _contains(x, answer, lang) or _contains(answer, x, lang):
        return True
    return kind == "place" and lang == "en" and _PLACE_TYPE.get(x, x) == _PLACE_TYPE.get(answer, answer)


def _distractors(kind, answer, story, rng, lang, k=4):
    if kind == "sum":
        return _sum_distractors(story.facts, rng, lang, k)
    pool = _pool(kind, answer, lang)
    out, relaxed = [], []
    for _ in range(60):
        x = pool[int(rng.random() * len(pool))]
        if x == answer or x in out or x in relaxed:
            continue
        if _overlaps(kind, answer, x, lang):
            continue
        if _contains(story.text, x, lang):
            relaxed.append(x)       # true elsewhere in the story: only if nothing better turns up
            continue
        out.append(x)
        if len(out) == k:
            break
    out += relaxed[: max(0, 3 - len(out))]
    if len(out) < 3:  # tiny pools: take anything that is not the answer
        out += [x for x in pool if x != answer and x not in out and not _overlaps(kind, answer, x, lang)][: 3 - len(out)]
    return out


def _qa_ctx(story, kind, lang):
    f = story.facts
    c = {"H": f["hero"], "obj": f["object"], "col": f["colour"], "kind": f.get("kind", "")}
    if lang == "en":
        c["pron"] = f.get("pronoun", "they")
        if kind == "sum":
            s = f["sum"]
            c["item"] = s["item"]
            c["items"] = s.get("items") or W._plural(s["item"])
    else:
        c["pron"] = f.get("pronoun", "他")
        c["om"] = _ZH_OBJ.get(f["object"], ("个",))[0]
        c["tod"] = f.get("time", "早晨")
        if kind == "sum":
            c["item"] = f["sum"]["item"]
            c["im"] = f["sum"].get("measure") or _ZH_ITEMS.get(f["sum"]["item"], ("个",))[0]
    return c


def _sum_key(story):
    return "sum-" if story.facts["sum"].get("op") == "-" else "sum+"


def _render_one(tpl, ctx, rng, lang):
    out = []
    _emit(tpl, ctx, rng, out)
    s = "".join(out)
    return _finish_en(s) if lang == "en" else s.replace(_AN_MARK, "")


def _answer_sentence(story, kind, value, variant, rng, lang):
    _, answers = _Q[lang]
    key = _sum_key(story) if kind == "sum" else kind
    c = _qa_ctx(story, kind, lang)
    c["X"] = value
    if kind == "sum" and lang == "en":
        n = int(value)
        c["X_items"] = _n_items(n, c["item"], c["items"])
    if lang == "zh" and kind == "object":
        c["Xm"] = _ZH_OBJ.get(value, ("个",))[0]
    if lang == "zh" and kind == "animal":
        c["Xm"] = _ZH_ANIMAL_M.get(value, "只")
    group = answers[key]
    return _render_one(group[variant % len(group)], c, rng, lang)


def make_questions(story: Story, rng: random.Random, lang: str = "en") -> list[dict]:
    """QA items about the story's facts, in random order.

    Each item: {"question", "answer" (short; it occurs in the story text), "kind", "distractors"
    (at least 3 plausible wrong answers of the same kind, none equal to the answer)}.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    questions, _ = _Q[lang]
    items = []
    for kind in _KINDS:
        if kind not in story.facts or (kind == "giver" and not story.facts.get("giver")):
            continue
        answer = _answer_value(kind, story.facts, lang)
        key = _sum_key(story) if kind == "sum" else kind
        q = _render_one(rng.choice(questions[key]), _qa_ctx(story, kind, lang), rng, lang)
        items.append({"question": q, "answer": answer, "kind": kind,
                      "distractors": _distractors(kind, answer, story, rng, lang)})
    rng.shuffle(items)
    return items


def _n_answer_variants(story, kind, lang):
    key = _sum_key(story) if kind == "sum" else kind
    return len(_Q[lang][1][key])


def _arith_problem(rng, lang, wrong_by: int = 0):
    """A word problem or bare sum/difference with numbers in 0..20: (question, answer sentence, answer).

    With `wrong_by`, the answer sentence states the result plus `wrong_by` instead (or minus, where
    plus would go below 0): the same rng state then gives the same question with a wrong answer."""
    op = rng.choice("+-")
    if op == "+":
        a = rng.randint(0, 20)
        b = rng.randint(0, 20 - a)
        t = a + b
    else:
        a = rng.randint(0, 20)
        b = rng.randint(0, a)
        t = a - b
    bare = rng.random() < 0.35 or min(a, b, t) == 0
    shown = t + wrong_by if t + wrong_by >= 0 else t - wrong_by  # the result the answer sentence states
    if lang == "en":
        if bare:
            word = "plus" if op == "+" else "minus"
            if rng.random() < 0.5:
                return f"What is {a} {word} {b}?", f"{a} {word} {b} is {shown}.", str(t)
            return f"What is {a} {op} {b}?", f"{a} {op} {b} = {shown}.", str(t)
        name = rng.choice(W.ALL_NAMES)
        pron = "she" if name in W.GIRL_NAMES else "he" if name in W.BOY_NAMES else rng.choice(("they", "she", "he"))
        p = _PRON[pron]
        sing, plur, group = rng.choice(W.COUNT_ITEMS)
        na, nt = _n_items(a, sing, plur), _n_items(shown, sing, plur)
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
    if bare:
        w = "加" if op == "+" else "减"
        ap, bp, tp = _zh_num(a, False), _zh_num(b, False), _zh_num(shown, False)
        return f"{ap}{w}{bp}等于多少？", f"{ap}{w}{bp}等于{tp}。", _zh_num(t, False)
    name = rng.choice(_ZH_ALL_NAMES)
    item = rng.choice(list(_ZH_ITEMS))
    m = _ZH_ITEMS[item][0]
    na, nb, nt = _zh_num(a), _zh_num(b), _zh_num(shown)
    if op == "+":
        q = f"{name}有{na}{m}{item}，又得到了{nb}{m}。{name}现在一共有多少{m}{item}？"
        ans = f"{name}现在一共有{nt}{m}{item}。"
    else:
        q = f"{name}有{na}{m}{item}，送给朋友{nb}{m}。{name}还剩下多少{m}{item}？"
        ans = f"{name}还剩下{nt}{m}{item}。"
    return q, ans, _zh_num(t)


def _system_prompt(rng, lang):
    return {"role": "system", "content": rng.choice(W.SYSTEM_PROMPTS if lang == "en" else W.ZH_SYSTEM_PROMPTS)}


def make_dialogue(story: Story, rng: random.Random, lang: str = "en") -> dict:
    """A chat about the story: usually one question, sometimes two (multi-turn), sometimes an
    arithmetic word problem on its own. The assistant answers in a short full sentence that
    contains the short answer. "answer" is the last turn's short answer; "answers" lists all."""
    messages = []
    if rng.random() < 0.25:
        messages.append(_system_prompt(rng, lang))
    r = rng.random()
    sep = "\n\n"
    if r < 0.15:
        q, a, short = _arith_problem(rng, lang)
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return {"id": f"{story.id}-dlg", "type": "arithmetic", "messages": messages, "answer": short,
                "answers": [short], "kinds": ["arithmetic"]}
    qs = make_questions(story, rng, lang)
    n = 2 if r < 0.4 and len(qs) >= 2 else 1
    answers, kinds = [], []
    for i, q in enumerate(qs[:n]):
        variant = int(rng.random() * _n_answer_variants(story, q["kind"], lang))
        reply = _answer_sentence(story, q["kind"], q["answer"], variant, rng, lang)
        content = story.text + sep + q["question"] if i == 0 else q["question"]
        messages += [{"role": "user", "content": content}, {"role": "assistant", "content": reply}]
        answers.append(q["answer"])
        kinds.append(q["kind"])
    return {"id": f"{story.id}-dlg", "type": "multi_turn" if n == 2 else "qa", "messages": messages,
            "answer": answers[-1], "answers": answers, "kinds": kinds}


def make_preference(story: Story, rng: random.Random, lang: str = "en") -> dict:
    """A preference pair: the prompt is the story and a question; "chosen" answers it correctly,
    "rejected" is the same sentence with a plausible wrong fact and never contains the answer.
    As in the dialogues, about one pair in seven is an arithmetic problem on its own instead,
    rejected stating a result off by 1 to 3 (kind "arithmetic")."""
    if rng.random() < 0.15:
        wrong_by = rng.choice((-3, -2, -1, 1, 2, 3))
        state = rng.getstate()
        question, chosen, answer = _arith_problem(rng, lang)
        rng.setstate(state)
        _, rejected, _ = _arith_problem(rng, lang, wrong_by)
        return {"id": f"{story.id}-pref", "prompt": question, "chosen": chosen, "rejected": rejected,
                "answer": answer, "kind": "arithmetic"}
    qs = make_questions(story, rng, lang)
    q = qs[int(rng.random() * len(qs))]
    kind, answer = q["kind"], q["answer"]
    nvar = _n_answer_variants(story, kind, lang)
    v0 = int(rng.random() * nvar)
    chosen = rejected = None
    extra = [] if kind == "sum" else list(_pool(kind, answer, lang))
    for dv in range(nvar):
        variant = (v0 + dv) % nvar
        chosen = _answer_sentence(story, kind, answer, variant, rng, lang)
        for d in q["distractors"] + extra:
            if _overlaps(kind, answer, d, lang):
                continue
            cand = _answer_sentence(story, kind, d, variant, rng, lang)
            if cand != chosen and not _contains(cand, answer, lang):
                rejected = cand
                break
        if rejected is not None:
            break
    if rejected is None:  # pragma: no cover - no vocabulary makes this happen
        raise RuntimeError(f"no rejected answer for {story.id} ({kind})")
    return {"id": f"{story.id}-pref", "prompt": story.text + "\n\n" + q["question"], "chosen": chosen,
            "rejected": rejected, "answer": answer, "kind": kind}


# =============================================================================================
# Writing a corpus
# =============================================================================================

def _text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _aux_rng(seed, lang, split, sid, what):
    return random.Random(f"tinyllm-synthetic/{GENERATOR_VERSION}/{lang}/{split}/{seed}/{sid}/{what}")


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_corpus(out_dir, seed: int = 0, lang: str = "en", train_stories: int = DEFAULT_COUNTS["train"],
                 val_stories: int = DEFAULT_COUNTS["val"], test_stories: int = DEFAULT_COUNTS["test"],
                 progress: bool = True) -> dict:
    """Write stories, dialogues and preference pairs for train/val/test, then manifest.json.

    val and test are written first; train (and test) skip any story whose text hash was already
    used by an earlier split or earlier in the same split. Everything is written in a temporary
    folder next to out_dir and moved into place at the end, manifest.json last. Returns the manifest.
    """
    from tqdm import tqdm

    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    counts = {"train": train_stories, "val": val_stories, "test": test_stories}
    for split, n in counts.items():
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"{split}_stories must be a non-negative integer, got {n!r}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    try:
        seen: set = set()
        manifest_counts, words, skipped, files = {}, {}, {}, []
        bar = tqdm(total=sum(counts.values()), desc=f"synthetic {lang}", unit="story", disable=None if progress else True)  # None: no bar when not a terminal
        for split in ("val", "test", "train"):
            n = counts[split]
            names = {k: f"{k}_{split}.jsonl" for k in ("stories", "dialogues", "preferences")}
            files += list(names.values())
            handles = {k: open(os.path.join(tmp, v), "w", encoding="utf-8") for k, v in names.items()}
            written = nwords = nskip = 0
            try:
                stream = iter_stories(seed, split, lang)
                while written < n:
                    story = next(stream)
                    h = _text_hash(story.text)
                    if h in seen:
                        nskip += 1
                        continue
                    seen.add(h)
                    handles["stories"].write(_dumps({"id": story.id, "text": story.text, "facts": story.facts}))
                    handles["dialogues"].write(_dumps(
                        make_dialogue(story, _aux_rng(seed, lang, split, story.id, "dialogue"), lang)))
                    handles["preferences"].write(_dumps(
                        make_preference(story, _aux_rng(seed, lang, split, story.id, "preference"), lang)))
                    written += 1
                    nwords += word_count(story.text, lang)
                    bar.update(1)
            finally:
                for f in handles.values():
                    f.close()
            manifest_counts[split] = {"stories": written, "dialogues": written, "preferences": written}
            words[split], skipped[split] = nwords, nskip
        bar.close()
        manifest = {
            "generator": "data_prep.synthetic",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "lang": lang,
            "counts": manifest_counts,
            "words": words,
            "word_unit": "whitespace-separated words" if lang == "en" else "CJK characters",
            "skipped_duplicates": skipped,
            "files": sorted(files) + ["manifest.json"],
        }
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=2)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if not os.path.exists(out_dir):
            os.rename(tmp, out_dir)          # one atomic step
        else:
            # an existing folder: first withdraw the old manifest, then the data, the manifest last
            old = os.path.join(out_dir, "manifest.json")
            if os.path.exists(old):
                os.remove(old)
            for name in files:
                os.replace(os.path.join(tmp, name), os.path.join(out_dir, name))
            os.replace(os.path.join(tmp, "manifest.json"), old)
        return manifest
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


# =============================================================================================
# Corpus statistics
# =============================================================================================

_EN_TOKEN_RE = re.compile(r"[a-z0-9']+")
_K = [np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5)]


def _gram_codes(ids: np.ndarray) -> np.ndarray:
    """64-bit codes of all word 4-grams in ids that do not cross a story boundary (id -1)."""
    if len(ids) < 4:
        return np.zeros(0, dtype=np.uint64)
    w = [ids[i:len(ids) - 3 + i] for i in range(4)]
    ok = (w[0] >= 0) & (w[1] >= 0) & (w[2] >= 0) & (w[3] >= 0)
    if int(ids.max(initial=0)) < 0xFFFF:   # exact: four 16-bit ids packed in 64 bits
        u = [x[ok].astype(np.uint64) for x in w]
        return (u[0] << np.uint64(48)) | (u[1] << np.uint64(32)) | (u[2] << np.uint64(16)) | u[3]
    with np.errstate(over="ignore"):        # large vocabularies: a 64-bit hash
        h = np.zeros(int(ok.sum()), dtype=np.uint64)
        for x, k in zip(w, _K):
            h = (h ^ (x[ok].astype(np.uint64) + np.uint64(1))) * k
            h ^= h >> np.uint64(29)
        return h


def corpus_stats(seed: int, n_words: int, lang: str = "en", progress: bool = False) -> dict:
    """Richness of the first n_words words (Chinese: characters) of the train stream.

    Words are lower-cased runs of letters, digits and apostrophes (punctuation dropped); for
    Chinese each CJK character is one token. 4-grams never cross a story boundary. Memory stays
    small: ids go to numpy in chunks, each chunk's 4-grams become uint64 codes, deduplicated
    with np.unique and merged.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if n_words <= 0:
        raise ValueError(f"n_words must be positive, got {n_words}")
    tokenize = (lambda t: _EN_TOKEN_RE.findall(t.lower())) if lang == "en" else _CJK_RE.findall
    vocab: dict = {}
    buf: list = []
    uniques: list = []
    total_grams = words = stories = dups = 0
    seen: set = set()
    t0 = time.time()
    chunk = 2_000_000

    def flush():
        nonlocal total_grams, uniques
        if not buf:
            return
        codes = _gram_codes(np.asarray(buf, dtype=np.int64))
        buf.clear()
        total_grams += len(codes)
        uniques.append(np.unique(codes))
        if len(uniques) >= 8:
            uniques = [np.unique(np.concatenate(uniques))]

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=n_words, unit="word", desc="stats", disable=None)
    for story in iter_stories(seed, "train", lang):
        toks = tokenize(story.text)
        setdefault = vocab.setdefault
        buf.extend([setdefault(t, len(vocab)) for t in toks])
        buf.append(-1)
        words += len(toks)
        stories += 1
        h = _text_hash(story.text)
        if h in seen:
            dups += 1
        else:
            seen.add(h)
        if bar is not None:
            bar.update(len(toks))
        if len(buf) >= chunk:
            flush()
        if words >= n_words:
            break
    flush()
    if bar is not None:
        bar.close()
    distinct = int(len(np.unique(np.concatenate(uniques)))) if uniques else 0
    return {
        "lang": lang,
        "seed": seed,
        "words": words,
        "word_unit": "words" if lang == "en" else "CJK characters",
        "stories": stories,
        "vocab": len(vocab),
        "total_4grams": total_grams,
        "distinct_4grams": distinct,
        "distinct_4gram_ratio": round(distinct / total_grams, 4) if total_grams else 0.0,
        "duplicate_stories": dups,
        "mean_words_per_story": round(words / stories, 1) if stories else 0.0,
        "seconds": round(time.time() - t0, 1),
    }


# =============================================================================================
# Command line
# =============================================================================================

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _non_negative(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {v}")
    return v


def _positive(s):
    v = _non_negative(s)
    if v == 0:
        raise argparse.ArgumentTypeError("expected a number > 0, got 0")
    return v


def _int(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {s!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m data_prep.synthetic",
        description="Generate the embedded synthetic corpus (stories with checkable facts, QA dialogues, "
                    "preference pairs), or measure its richness with --stats.",
        epilog="examples:\n"
               "  python -m data_prep.synthetic --out data/synthetic\n"
               "  python -m data_prep.synthetic --out data/synthetic-zh --lang zh --train-stories 5000\n"
               "  python -m data_prep.synthetic --stats --words 15000000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", metavar="DIR", help="output folder (created; files inside are replaced)")
    p.add_argument("--seed", type=_int, default=0, help="random seed (default 0)")
    p.add_argument("--lang", choices=LANGS, default="en", help="story language (default en)")
    p.add_argument("--train-stories", type=_non_negative, default=DEFAULT_COUNTS["train"], metavar="N",
                   help=f"train stories (default {DEFAULT_COUNTS['train']})")
    p.add_argument("--val-stories", type=_non_negative, default=DEFAULT_COUNTS["val"], metavar="N",
                   help=f"validation stories (default {DEFAULT_COUNTS['val']})")
    p.add_argument("--test-stories", type=_non_negative, default=DEFAULT_COUNTS["test"], metavar="N",
                   help=f"test stories (default {DEFAULT_COUNTS['test']})")
    p.add_argument("--stats", action="store_true",
                   help="print richness statistics of the train stream instead of writing files")
    p.add_argument("--words", type=_positive, metavar="N",
                   help="with --stats: how many words (Chinese: characters) to measure")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    if args.stats:
        if args.words is None:
            p.error("--stats needs --words N")
        if args.out:
            p.error("--stats and --out do not go together")
        stats = corpus_stats(args.seed, args.words, args.lang, progress=not args.quiet)
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    if args.words is not None:
        p.error("--words only goes with --stats")
    if not args.out:
        p.error("give --out DIR to write a corpus, or --stats --words N to measure one")
    try:
        manifest = write_corpus(args.out, seed=args.seed, lang=args.lang, train_stories=args.train_stories,
                                val_stories=args.val_stories, test_stories=args.test_stories,
                                progress=not args.quiet)
    except OSError as err:
        print(f"error: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    c = manifest["counts"]
    print(f"wrote {c['train']['stories']}/{c['val']['stories']}/{c['test']['stories']} train/val/test stories "
          f"({sum(manifest['words'].values())} {manifest['word_unit']}) to {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
