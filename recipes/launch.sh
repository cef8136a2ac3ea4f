#!/usr/bin/env bash
# The one launcher behind every recipes/<stage>_<size>.sh:
#   bash recipes/launch.sh STAGE RECIPE.yaml [key=value ...]
# Runs `python -m stages.STAGE RECIPE [key=value ...]` from the project root (so the recipes'
# relative paths mean the same wherever you call it from), as one process, or under torchrun
# when there are GPUs, several CPU processes or several nodes. Environment:
#   N_NODES (1)  NODE_RANK (0)  MASTER_ADDR (127.0.0.1)  MASTER_PORT (29500)
#   N_GPUS       GPUs per node (default: all visible; 0 means CPU)
#   N_PROCS      CPU processes per node when there is no GPU (default 1)
#   RESUME=1     continue from the newest complete checkpoint (adds resume=true)
#   LOG_DIR      where the run's log is teed (default runs/logs)
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: bash recipes/launch.sh STAGE RECIPE.yaml [key=value ...]" >&2
    exit 2
fi
STAGE=$1
RECIPE=$2
shift 2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -f "$RECIPE" ] || RECIPE="recipes/$RECIPE"
if [ ! -f "$RECIPE" ]; then
    echo "error: recipe $RECIPE not found" >&2
    exit 2
fi

N_NODES=${N_NODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
MASTER_PORT=${MASTER_PORT:-29500}
N_PROCS=${N_PROCS:-1}
if [ -z "${N_GPUS:-}" ]; then
    N_GPUS=$(nvidia-smi --list-gpus 2>/dev/null | wc -l || true)
    N_GPUS=${N_GPUS:-0}
fi

ARGS=("$RECIPE" "$@")
case "${RESUME:-0}" in
    1|true|yes) ARGS+=(resume=true) ;;
esac

if [ "$N_GPUS" -eq 0 ]; then
    export DS_ACCELERATOR=${DS_ACCELERATOR:-cpu}  # DeepSpeed would otherwise warn that it found no GPU
    PROCS_PER_NODE=$N_PROCS
else
    PROCS_PER_NODE=$N_GPUS
fi

LOG_DIR=${LOG_DIR:-runs/logs}
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/${STAGE}_$(basename "$RECIPE" .yaml)_node${NODE_RANK}_$(date +%Y%m%d-%H%M%S).log"
echo "launch: stage $STAGE, recipe $RECIPE, $N_NODES node(s) x $PROCS_PER_NODE process(es) $([ "$N_GPUS" -eq 0 ] && echo on CPU || echo on GPU), log $LOG" >&2

if [ "$N_NODES" -eq 1 ] && [ "$PROCS_PER_NODE" -eq 1 ]; then
    CMD=(python -m "stages.$STAGE" "${ARGS[@]}")
else
    CMD=(torchrun --nnodes "$N_NODES" --nproc_per_node "$PROCS_PER_NODE" --node_rank "$NODE_RANK"
         --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT" -m "stages.$STAGE" "${ARGS[@]}")
fi
"${CMD[@]}" 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
