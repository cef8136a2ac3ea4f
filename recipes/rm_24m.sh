#!/usr/bin/env bash
# Train the reward model at size 24m: bash recipes/rm_24m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" reward rm_24m.yaml "$@"
