#!/usr/bin/env bash
# The default data of every ptm_<size> recipe, from the embedded synthetic corpus:
#   bash recipes/prepare_data.sh
# writes runs/corpus (stories, dialogues, preference pairs), runs/tokenizer (SentencePiece BPE)
# runs/data (uint16 shards + meta.json), runs/sft_data (SFT pickles), runs/pref_data (preference pairs) and runs/prompts (RL prompts). Environment: STORIES (train stories, default
# 100000, about 20M tokens), VOCAB (4096), SEED (0), LANG_CODE (en or zh), OUT (runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-runs}
STORIES=${STORIES:-100000}
VOCAB=${VOCAB:-4096}
SEED=${SEED:-0}
LANG_CODE=${LANG_CODE:-en}

python -m data_prep.synthetic --out "$OUT/corpus" --seed "$SEED" --lang "$LANG_CODE" \
    --train-stories "$STORIES" --val-stories 2000 --test-stories 2000
python -m data_prep.train_tokenizer --source "$OUT/corpus/stories_train.jsonl" --out "$OUT/tokenizer" \
    --vocab-size "$VOCAB" --max-documents 50000 --overwrite
python -m data_prep.pretokenize --tokenizer "$OUT/tokenizer" --train "$OUT/corpus/stories_train.jsonl" \
    --val "$OUT/corpus/stories_val.jsonl" --out "$OUT/data" --overwrite
# SFT data (dialogues about the stories) for every sft_<size> recipe.
python -m data_prep.sft --tokenizer "$OUT/tokenizer" --source "$OUT/corpus/dialogues_train.jsonl" \
    --out "$OUT/sft_data/train.pkl" --max-len 512
python -m data_prep.sft --tokenizer "$OUT/tokenizer" --source "$OUT/corpus/dialogues_val.jsonl" \
    --out "$OUT/sft_data/val.pkl" --max-len 512
# Preference pairs (a correct and a plausible wrong answer) for every rm_<size> and dpo_<size> recipe.
python -m data_prep.preference --source "$OUT/corpus/preferences_train.jsonl" \
    --heldout "$OUT/corpus/preferences_test.jsonl" --out "$OUT/pref_data" --overwrite
# Prompts with checkable answers (held-out questions kept apart) for every grpo_<size> recipe.
python -m data_prep.prompts --train "$OUT/corpus/dialogues_train.jsonl" \
    --test "$OUT/corpus/dialogues_test.jsonl" --out "$OUT/prompts"
