#!/usr/bin/env bash
# Online RL (GRPO) of the quickstart's tiny SFT model: bash recipes/grpo_tiny.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" grpo grpo_tiny.yaml "$@"
