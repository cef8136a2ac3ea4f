#!/usr/bin/env bash
# Quantize at size 256m and report: bash recipes/quant_256m.sh [key=value ...]
# One process on one device (the first GPU if there is one, else the CPU): quantizing is not distributed.
visible=${N_GPUS:-$(nvidia-smi --list-gpus 2>/dev/null | wc -l || true)}
N_NODES=1 N_PROCS=1 N_GPUS=$(( ${visible:-0} > 0 ? 1 : 0 )) \
    exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" quantize quant_256m.yaml "$@"
