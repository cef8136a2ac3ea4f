#!/usr/bin/env bash
# Online RL (GRPO) at size 134m: bash recipes/grpo_134m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" grpo grpo_134m.yaml "$@"
