#!/usr/bin/env bash
# Pretrain the 24m model: bash recipes/ptm_24m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" pretrain ptm_24m.yaml "$@"
