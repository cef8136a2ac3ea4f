#!/usr/bin/env bash
# Fine-tune the 256m model on dialogues: bash recipes/sft_256m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" sft sft_256m.yaml "$@"
