#!/usr/bin/env bash
# The one launcher behind every recipes/<stage>_<size>.sh:
#   bash recipes/launch.sh STAGE RECIPE.yaml [key=value ...]
# Runs `python -m stages.STAGE RECIPE [key=value ...]` from the project root (so the recipes'
# relative paths mean the same wherever you call it from): as one process, or under torchrun
# when there are several GPUs, several CPU processes or several nodes. Environment:
#   N_NODES (1)  NODE_RANK (0)  MASTER_ADDR (127.0.0.1)  MASTER_PORT (29500)
#   N_GPUS       GPUs per node (default: all visible, CUDA_VISIBLE_DEVICES respected; 0 means CPU)
#   N_PROCS      CPU processes per node when there is no GPU (default 1)
#   ZERO_STAGE   DeepSpeed ZeRO: 1, 2, 3, 3_offload or 0 (none): adds deepspeed=ZERO_STAGE
#   DS_DTYPE     bf16, fp16 or fp32: adds dtype=DS_DTYPE
#   RESUME=1     continue from the newest complete checkpoint (adds resume=true)
#   HOSTFILE     a DeepSpeed hostfile ("host slots=N" lines): run once, on the first host, and the
#                deepspeed launcher starts every node over ssh (instead of one command per node)
#   LOG_DIR      where the log is teed (default OUT_DIR/logs of the run)
#   DRY_RUN=1    print the command instead of running it
# key=value arguments win over ZERO_STAGE and DS_DTYPE.
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

GIVEN_NODES=${N_NODES:-}
GIVEN_GPUS=${N_GPUS:-}
GIVEN_ADDR=${MASTER_ADDR:-}
N_NODES=${N_NODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
MASTER_PORT=${MASTER_PORT:-29500}
N_PROCS=${N_PROCS:-1}
if [ -z "${N_GPUS:-}" ]; then
    if [ -n "${CUDA_VISIBLE_DEVICES+set}" ]; then
        N_GPUS=$(echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n' | grep -c . || true)
    else
        N_GPUS=$(nvidia-smi --list-gpus 2>/dev/null | wc -l || true)
    fi
    N_GPUS=${N_GPUS:-0}
fi

ARGS=("$RECIPE")
[ -n "${ZERO_STAGE:-}" ] && ARGS+=("deepspeed=$ZERO_STAGE")
[ -n "${DS_DTYPE:-}" ] && ARGS+=("dtype=$DS_DTYPE")
ARGS+=("$@")
case "${RESUME:-0}" in
    1|true|yes) ARGS+=(resume=true) ;;
esac

if [ "$N_GPUS" -eq 0 ]; then
    [ -n "${HOSTFILE:-}" ] || export DS_ACCELERATOR=${DS_ACCELERATOR:-cpu}  # else DeepSpeed warns it found no GPU
    PROCS_PER_NODE=$N_PROCS
    WHERE="$N_NODES node(s) x $PROCS_PER_NODE process(es) on CPU"
else
    PROCS_PER_NODE=$N_GPUS
    WHERE="$N_NODES node(s) x $PROCS_PER_NODE GPU(s)"
fi
if [ "$N_NODES" -gt 1 ] && [ -z "${HOSTFILE:-}" ] && [ "$MASTER_ADDR" = 127.0.0.1 ]; then
    echo "error: N_NODES=$N_NODES needs MASTER_ADDR, the address of node 0 that every node can reach" >&2
    exit 2
fi

if [ -n "${HOSTFILE:-}" ]; then
    [ -f "$HOSTFILE" ] || { echo "error: HOSTFILE $HOSTFILE not found" >&2; exit 2; }
    WHERE="the nodes and slots of $HOSTFILE"
    SLOTS=$([ "${GIVEN_GPUS:-0}" -gt 0 ] && echo "$GIVEN_GPUS" || true)  # N_GPUS=0 (CPU): every slot is a process
    # The deepspeed launcher reads the nodes and their slots from the hostfile; each rank finds its
    # LOCAL_RANK in the environment (--no_local_rank: the stages take only recipe arguments).
    # N_NODES and N_GPUS, when given, limit how many hosts and slots of the hostfile are used; the
    # master is the hostfile's first host unless MASTER_ADDR says otherwise.
    CMD=(deepspeed --hostfile "$HOSTFILE" --master_port "$MASTER_PORT" ${GIVEN_ADDR:+--master_addr "$GIVEN_ADDR"}
         ${GIVEN_NODES:+--num_nodes "$GIVEN_NODES"} ${SLOTS:+--num_gpus "$SLOTS"}
         --no_local_rank --module "stages.$STAGE" "${ARGS[@]}")
elif [ "$N_NODES" -eq 1 ] && [ "$PROCS_PER_NODE" -eq 1 ]; then
    CMD=(python -m "stages.$STAGE" "${ARGS[@]}")
else
    CMD=(torchrun --nnodes "$N_NODES" --nproc_per_node "$PROCS_PER_NODE" --node_rank "$NODE_RANK"
         --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT" -m "stages.$STAGE" "${ARGS[@]}")
fi

if [ -z "${LOG_DIR:-}" ]; then
    OUT_DIR=$(python -m tinyllm.recipe "${ARGS[@]}" --get out_dir 2>/dev/null || true)
    LOG_DIR=${OUT_DIR:+$OUT_DIR/logs}
    LOG_DIR=${LOG_DIR:-runs/logs}
fi
LOG="$LOG_DIR/${STAGE}_node${NODE_RANK}_$(date +%Y%m%d-%H%M%S).log"
if [ -n "${DRY_RUN:-}" ]; then
    echo "launch: stage $STAGE, $WHERE, log $LOG"
    printf '%q ' "${CMD[@]}"
    echo
    exit 0
fi
mkdir -p "$LOG_DIR"
echo "launch: stage $STAGE, recipe $RECIPE, $WHERE, log $LOG" >&2
"${CMD[@]}" 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
