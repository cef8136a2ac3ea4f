#!/usr/bin/env bash
# Train the reward model at size 58m: bash recipes/rm_58m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" reward rm_58m.yaml "$@"
