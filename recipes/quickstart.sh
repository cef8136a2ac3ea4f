#!/usr/bin/env bash
# The whole lifecycle on the embedded synthetic corpus, on CPU, in minutes:
#   bash recipes/quickstart.sh
# 1. generate the corpus  2. train a tokenizer  3. pretokenize into shards
# 4. pretrain the tiny model  5. sample continuations.
# Everything is written under runs/quickstart (OUT=... to change it); a rerun starts afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-runs/quickstart}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false DS_ACCELERATOR=cpu
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step "1/5 synthetic corpus"
python -m data_prep.synthetic --out "$OUT/corpus" --seed 0 --train-stories 12000 --val-stories 400 --test-stories 400
step "2/5 tokenizer"
python -m data_prep.train_tokenizer --source "$OUT/corpus/stories_train.jsonl" --out "$OUT/tokenizer" \
    --vocab-size 2048 --overwrite
step "3/5 pretokenize"
python -m data_prep.pretokenize --tokenizer "$OUT/tokenizer" --train "$OUT/corpus/stories_train.jsonl" \
    --val "$OUT/corpus/stories_val.jsonl" --out "$OUT/data" --overwrite
step "4/5 pretrain (tiny model, CPU)"
python -m stages.pretrain recipes/ptm_tiny.yaml data_dir="$OUT/data" out_dir="$OUT/pretrain" overwrite=true
step "5/5 samples"
python -m scripts.sample "$OUT/pretrain/final" --prompt "Once upon a time" --prompt "One day, a little" \
    --max-new-tokens 80 --temperature 0.7

python - "$OUT/pretrain/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\nresult: {r['size']} model ({r['parameters']:,} parameters), {r['steps']} steps, {r['tokens_seen']:,} tokens, "
      f"{r['train_seconds']:.0f}s of training\n"
      f"        validation perplexity {r['val_ppl']:.2f} vs unigram baseline {r['unigram_val_ppl']:.2f} "
      f"({r['unigram_val_ppl'] / r['val_ppl']:.0f}x lower)")
PY
echo
echo "quickstart done in $(( $(date +%s) - start ))s. Written under $OUT:"
echo "  corpus/      stories, dialogues and preference pairs (train / val / test JSONL)"
echo "  tokenizer/   SentencePiece BPE as a transformers tokenizer (with the chat template)"
echo "  data/        uint16 token shards + meta.json"
echo "  pretrain/    checkpoints, report.json, loss_curve.png, TensorBoard logs (runs/), final/ (HF model)"
