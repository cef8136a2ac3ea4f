#!/usr/bin/env bash
# Align with DPO at size 24m: bash recipes/dpo_24m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" dpo dpo_24m.yaml "$@"
