#!/usr/bin/env bash
# The whole lifecycle on the embedded synthetic corpus, on CPU, in minutes:
#   bash recipes/quickstart.sh
# 1. generate the corpus  2. train a tokenizer  3. pretokenize stories into shards, dialogues
# into SFT data, preference pairs into a dataset  4. pretrain the tiny model  5. sample
# continuations  6. fine-tune it on dialogues (SFT)  7. train a reward model  8. align the SFT
# model with DPO  9. quantize it to int8 and nf4 (its table: size, memory, tokens/s, quality)
# 10. held-out answers of every stage  11. eval.run on every stage's final checkpoint, ending with
# the side-by-side table.
# Everything is written under runs/quickstart (OUT=... to change it); a rerun starts afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-runs/quickstart}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false DS_ACCELERATOR=cpu
[ -t 1 ] || export HF_DATASETS_DISABLE_PROGRESS_BARS=1  # datasets' bars are noise in a log file
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step "1/11 synthetic corpus"
python -m data_prep.synthetic --out "$OUT/corpus" --seed 0 --train-stories 12000 --val-stories 400 --test-stories 400
step "2/11 tokenizer"
python -m data_prep.train_tokenizer --source "$OUT/corpus/stories_train.jsonl" --out "$OUT/tokenizer" \
    --vocab-size 2048 --overwrite
step "3/11 pretokenize stories, render dialogues, collect preference pairs"
python -m data_prep.pretokenize --tokenizer "$OUT/tokenizer" --train "$OUT/corpus/stories_train.jsonl" \
    --val "$OUT/corpus/stories_val.jsonl" --out "$OUT/data" --overwrite
for split in train val; do
    python -m data_prep.sft --tokenizer "$OUT/tokenizer" --source "$OUT/corpus/dialogues_$split.jsonl" \
        --out "$OUT/sft_data/$split.pkl" --max-len 512
done
python -m data_prep.preference --source "$OUT/corpus/preferences_train.jsonl" \
    --heldout "$OUT/corpus/preferences_test.jsonl" --out "$OUT/pref_data" --overwrite
step "4/11 pretrain (tiny model, CPU)"
python -m stages.pretrain recipes/ptm_tiny.yaml data_dir="$OUT/data" out_dir="$OUT/pretrain" overwrite=true
step "5/11 samples"
python -m scripts.sample "$OUT/pretrain/final" --prompt "Once upon a time" --prompt "One day, a little" \
    --max-new-tokens 80 --temperature 0.7

step "6/11 SFT on dialogues"
python -m stages.sft recipes/sft_tiny.yaml model="$OUT/pretrain/final" train_data="$OUT/sft_data/train.pkl" \
    val_data="$OUT/sft_data/val.pkl" out_dir="$OUT/sft" overwrite=true
python -m scripts.chat "$OUT/sft/final" --temperature 0 --max-new-tokens 24 --prompt "What is 4 plus 3?"

step "7/11 reward model on preference pairs"
python -m stages.reward recipes/rm_tiny.yaml model="$OUT/sft/final" data="$OUT/pref_data" out_dir="$OUT/rm" overwrite=true

step "8/11 DPO from the SFT model"
python -m stages.dpo recipes/dpo_tiny.yaml model="$OUT/sft/final" data="$OUT/pref_data" out_dir="$OUT/dpo" overwrite=true
step "9/11 quantize the DPO model: int8 and nf4 beside the original (bitsandbytes)"
python -m stages.quantize recipes/quant_tiny.yaml model="$OUT/dpo/final" out_dir="$OUT/quant" overwrite=true

step "10/11 held-out answers of every stage"
for stage in pretrain sft dpo; do
    python -m eval.dialogue "$OUT/$stage/final" --data "$OUT/corpus/dialogues_test.jsonl" --label "$stage" \
        --out "$OUT/eval/dialogue_$stage.json"
done

step "11/11 eval: every stage on the same benchmarks"
STAGES=(pretrain sft dpo)  # a later stage appends its run name here
checkpoints=() evals=()
for stage in "${STAGES[@]}"; do checkpoints+=("$OUT/$stage/final"); evals+=("$OUT/eval/$stage"); done
python -m eval.run "${checkpoints[@]}" --out "$OUT/eval" --quiet

python - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
load = lambda path: json.load(open(f"{out}/{path}"))
r, s, rm, dpo, q = (load(f"{k}/report.json") for k in ("pretrain", "sft", "rm", "dpo", "quant"))
before, after, aligned = (load(f"eval/dialogue_{k}.json")["scores"]["all"] for k in ("pretrain", "sft", "dpo"))
print(f"\nresult: {r['size']} model ({r['parameters']:,} parameters), {r['steps']} steps, {r['tokens_seen']:,} tokens, "
      f"{r['train_seconds']:.0f}s of training\n"
      f"        validation perplexity {r['val_ppl']:.2f} vs unigram baseline {r['unigram_val_ppl']:.2f} "
      f"({r['unigram_val_ppl'] / r['val_ppl']:.0f}x lower)\n"
      f"        SFT: {s['steps']} steps, {s['train_seconds']:.0f}s; on {before['n']} held-out dialogues the answer is found "
      f"in {100 * before['answer_found']:.1f}% of replies before SFT and {100 * after['answer_found']:.1f}% after, where\n"
      f"        answering in form without reading would find {100 * after['answer_chance']:.1f}% "
      f"(exact reply {100 * before['exact_match']:.1f}% -> {100 * after['exact_match']:.1f}%)\n"
      f"        reward model: {rm['steps']} steps, {rm['train_seconds']:.0f}s; held-out pairwise accuracy "
      f"{100 * rm['heldout_accuracy']:.1f}% over {rm['heldout_pairs']} pairs (chance 50%"
      f"{'; %d longer than max_length left out' % rm['heldout_pairs_too_long'] if rm.get('heldout_pairs_too_long') else ''})\n"
      f"        DPO: {dpo['steps']} steps, {dpo['train_seconds']:.0f}s; held-out preference accuracy "
      f"{100 * dpo['sft_preference_accuracy']:.1f}% (SFT) -> {100 * dpo['preference_accuracy']:.1f}% (DPO) over "
      f"{dpo['heldout_pairs']} pairs ({dpo['heldout_pairs_won']} turned right, {dpo['heldout_pairs_lost']} wrong); "
      f"exact reply {100 * after['exact_match']:.1f}% -> {100 * aligned['exact_match']:.1f}%, "
      f"answer found {100 * after['answer_found']:.1f}% -> {100 * aligned['answer_found']:.1f}%")
w = {k: v["weights_bytes"] for k, v in q["runs"].items()}
print("        quantized DPO model: " + "; ".join(
      f"{k} weights {w[k] / w['original']:.2f}x, perplexity {100 * c:+.2f}%" for k, c in q["ppl_change"].items()))
PY
echo
echo "quickstart done in $(( $(date +%s) - start ))s. Written under $OUT:"
echo "  corpus/      stories, dialogues and preference pairs (train / val / test JSONL)"
echo "  tokenizer/   SentencePiece BPE as a transformers tokenizer (with the chat template)"
echo "  data/        uint16 token shards + meta.json"
echo "  pretrain/    checkpoints, report.json, loss_curve.png, TensorBoard logs (runs/), final/ (HF model)"
echo "  sft_data/    dialogues as token ids + assistant-only loss masks"
echo "  sft/         the same for SFT; chat with: python -m scripts.chat $OUT/sft/final"
echo "  pref_data/   preference pairs (datasets on disk: train, held-out test)"
echo "  rm/          reward model; score with: python -m stages.reward --score $OUT/rm/final --data $OUT/pref_data"
echo "  dpo/         the DPO-aligned model; chat with: python -m scripts.chat $OUT/dpo/final"
echo "  quant/       int8/ and nf4/: bitsandbytes checkpoints of the DPO model; report.md (the table), eval/"
echo "  eval/        held-out answer scores and every reply, per stage"
echo "  eval/STAGE/  eval.run results per stage: results.json, results.md (metrics, chance levels, samples)"
echo
echo "Every stage side by side (python -m eval.compare ${evals[*]}; 25% is chance on the 4-option rows):"
python -m eval.compare "${evals[@]}" --out "$OUT/eval/compare.md"
