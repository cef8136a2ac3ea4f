#!/usr/bin/env bash
# Train the reward model at size 256m: bash recipes/rm_256m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" reward rm_256m.yaml "$@"
