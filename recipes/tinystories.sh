#!/usr/bin/env bash
# TinyStories as llama2.c trains on it: SentencePiece BPE 4096 -> the 9m or 24m model.
#   bash recipes/tinystories.sh [key=value ...]                 # from a local copy (below), offline
#   ALLOW_NETWORK=1 bash recipes/tinystories.sh [key=value ...] # streams hf:roneneldan/TinyStories
#   DRY_RUN=1 bash recipes/tinystories.sh                       # prints the commands, runs nothing
# key=value arguments go to the pretraining stage (e.g. max_steps=20). Environment:
#   TS_TRAIN, TS_VAL  local copies (default data/TinyStories/TinyStories-train.txt and -valid.txt,
#                     the dataset repository's files; its TinyStories_all_data/data*.json shards
#                     work too, quoted: TS_TRAIN='data/TinyStories_all_data/data*.json')
#   ALLOW_NETWORK=1   read hf:roneneldan/TinyStories (train / validation) through `datasets` when no
#                     local copy is given; without it nothing touches the network (HF_*_OFFLINE=1)
#   SIZE (9m)  VOCAB (4096)  TOK_DOCS (200000, documents sampled for the tokenizer)
#   OUT (runs/tinystories)  WORKERS (tokenizer processes, default all cores)
# Writes OUT/tokenizer, OUT/data (shards), OUT/ptm_SIZE (the run, through recipes/launch.sh).
#
# The reference to beat, llama2.c's published validation losses on TinyStories:
#   260K 1.297   15M 1.072   42M 0.847   110M 0.760
# They are windowed losses (mean cross-entropy per token over windows of the model's context, as
# this stage's "val loss" is; eval.run's per-document perplexity is another measure), and they are
# per token of their tokenizer: 260K used a 512-token vocabulary, the others Llama 2's 32,000, so a
# vocab-4096 loss is comparable only in direction (our 24m has the 15M's shape: 288 dim, 6 layers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-runs/tinystories}
SIZE=${SIZE:-9m}
VOCAB=${VOCAB:-4096}
TOK_DOCS=${TOK_DOCS:-200000}
TS_DIR=data/TinyStories
export TOKENIZERS_PARALLELISM=false

case "$SIZE" in 9m|24m) ;; *) echo "error: SIZE=$SIZE: this recipe trains 9m or 24m (recipes/ptm_SIZE.yaml)" >&2; exit 2 ;; esac
if [ -n "${TS_TRAIN:-}" ] || [ -f "$TS_DIR/TinyStories-train.txt" ] || [ "${ALLOW_NETWORK:-0}" != 1 ]; then
    TRAIN=${TS_TRAIN:-$TS_DIR/TinyStories-train.txt}
    VAL=${TS_VAL:-$TS_DIR/TinyStories-valid.txt}
    export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
    NETWORK="offline"
    if [ -z "${DRY_RUN:-}" ] && ! compgen -G "$TRAIN" >/dev/null; then
        echo "error: $TRAIN not found: put the TinyStories files there (or set TS_TRAIN / TS_VAL), or run with" \
             "ALLOW_NETWORK=1 to stream hf:roneneldan/TinyStories" >&2
        exit 2
    fi
else
    TRAIN=hf:roneneldan/TinyStories:train
    VAL=hf:roneneldan/TinyStories:validation
    NETWORK="network allowed: streams the hub dataset"
fi

run() {
    if [ -n "${DRY_RUN:-}" ]; then printf '%q ' "$@"; echo; else "$@"; fi
}
start=$(date +%s)
echo "tinystories: $TRAIN (val $VAL) -> SP-BPE $VOCAB -> $SIZE in $OUT ($NETWORK)" >&2
run python -m data_prep.train_tokenizer --source "$TRAIN" --out "$OUT/tokenizer" --vocab-size "$VOCAB" \
    --max-documents "$TOK_DOCS" --overwrite
run python -m data_prep.pretokenize --tokenizer "$OUT/tokenizer" --train "$TRAIN" --val "$VAL" --out "$OUT/data" \
    ${WORKERS:+--workers "$WORKERS"} --overwrite
run bash recipes/launch.sh pretrain "ptm_$SIZE.yaml" data_dir="$OUT/data" out_dir="$OUT/ptm_$SIZE" "$@"
[ -n "${DRY_RUN:-}" ] || echo "tinystories: done in $(( $(date +%s) - start ))s; llama2.c's windowed val losses to" \
    "compare with (other vocabularies): 260K 1.297, 15M 1.072, 42M 0.847, 110M 0.760" >&2
