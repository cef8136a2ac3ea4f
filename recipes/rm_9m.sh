#!/usr/bin/env bash
# Train the reward model at size 9m: bash recipes/rm_9m.sh [key=value ...]
# Cluster and resume settings come from the environment; see recipes/launch.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/launch.sh" reward rm_9m.yaml "$@"
