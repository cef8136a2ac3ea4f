#!/usr/bin/env bash
# Pretrain the 256m model: bash recipes/ptm_256m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" pretrain ptm_256m.yaml "$@"
