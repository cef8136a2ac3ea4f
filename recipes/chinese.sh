#!/usr/bin/env bash
# Chinese pretraining: a byte-fallback SentencePiece BPE sized for Chinese (or a pretrained
# tokenizer directory) -> the 24m model (SIZE=...).
#   ZH_TRAIN='data/zh/*.jsonl' bash recipes/chinese.sh [key=value ...]   # local files, offline
#   ALLOW_NETWORK=1 bash recipes/chinese.sh [key=value ...]              # streams ZH_HF (below)
#   DRY_RUN=1 bash recipes/chinese.sh                                    # prints the commands
# key=value arguments go to the pretraining stage (e.g. max_steps=20). Environment:
#   ZH_TRAIN   local sources: files, quoted globs, directories, compressed or not (data_prep/sources.py),
#              e.g. a Chinese Wikipedia dump as JSONL, or chinese-poetry's JSON with FIELD=paragraphs
#   ZH_VAL     validation sources (default: hold out 0.5 % of ZH_TRAIN by hash, at least 16,384 tokens)
#   FIELD      the JSON field holding the text (default: text / story / completion / content)
#   ALLOW_NETWORK=1  with no ZH_TRAIN, stream ZH_HF through `datasets`; without it nothing touches
#              the network (HF_*_OFFLINE=1)
#   ZH_HF      hub dataset (default hf:pleisto/wikipedia-cn-20230720-filtered, text in `completion`)
#   TOKENIZER  a pretrained tokenizer directory to use instead of training one, e.g. a ChatGLM3-style
#              one (vocab 64793) saved as tokenizer.json / tokenizer.model without remote code
#              (tinyllm never runs a tokenizer's own Python); it needs bos and eos tokens
#   VOCAB (16384: Chinese needs a piece per common character before any merge, several thousand on
#          real text; SentencePiece refuses, in one line, a vocab below the characters it must cover;
#          byte fallback covers the rest)  TOK_DOCS (200000)  SIZE (24m)  OUT (runs/chinese)  WORKERS (default all cores)
# Writes OUT/tokenizer (unless TOKENIZER), OUT/data, OUT/ptm_SIZE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-runs/chinese}
SIZE=${SIZE:-24m}
VOCAB=${VOCAB:-16384}
TOK_DOCS=${TOK_DOCS:-200000}
ZH_HF=${ZH_HF:-hf:pleisto/wikipedia-cn-20230720-filtered}
export TOKENIZERS_PARALLELISM=false

case "$SIZE" in 9m|24m|58m|134m|256m) ;; *) echo "error: SIZE=$SIZE: one of 9m 24m 58m 134m 256m" >&2; exit 2 ;; esac
if [ -n "${ZH_TRAIN:-}" ]; then
    TRAIN=$ZH_TRAIN
elif [ "${ALLOW_NETWORK:-0}" = 1 ]; then
    TRAIN=$ZH_HF
else
    echo "error: no ZH_TRAIN: name local Chinese text (ZH_TRAIN='data/zh/*.jsonl'), or run with ALLOW_NETWORK=1" \
         "to stream $ZH_HF" >&2
    exit 2
fi
NETWORK="network allowed"
if [ "${ALLOW_NETWORK:-0}" != 1 ] || [ -n "${ZH_TRAIN:-}" ]; then
    export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
    NETWORK="offline"
fi

run() {
    if [ -n "${DRY_RUN:-}" ]; then printf '%q ' "$@"; echo; else "$@"; fi
}
start=$(date +%s)
echo "chinese: $TRAIN${ZH_VAL:+ (val $ZH_VAL)} -> tokenizer ${TOKENIZER:-SP-BPE $VOCAB} -> $SIZE in $OUT ($NETWORK)" >&2
if [ -n "${TOKENIZER:-}" ]; then
    TOK=$TOKENIZER
else
    TOK=$OUT/tokenizer
    run python -m data_prep.train_tokenizer --source $TRAIN --out "$TOK" --vocab-size "$VOCAB" \
        --max-documents "$TOK_DOCS" ${FIELD:+--field "$FIELD"} --overwrite
fi
# $TRAIN / $ZH_VAL unquoted on purpose: several sources may be given, separated by spaces.
run python -m data_prep.pretokenize --tokenizer "$TOK" --train $TRAIN ${ZH_VAL:+--val $ZH_VAL} \
    --out "$OUT/data" ${FIELD:+--field "$FIELD"} ${WORKERS:+--workers "$WORKERS"} --overwrite
run bash recipes/launch.sh pretrain "ptm_$SIZE.yaml" data_dir="$OUT/data" out_dir="$OUT/ptm_$SIZE" "$@"
[ -n "${DRY_RUN:-}" ] || echo "chinese: done in $(( $(date +%s) - start ))s" >&2
