#!/bin/sh
# Runs a command inside a fresh network namespace with only loopback up, so a test can reach
# 127.0.0.0/8 and ::1 and nothing else, whatever a bug does. Already inside one (CAFE_NETNS
# set): just run it.
set -eu
if [ "${CAFE_NETNS:-}" = 1 ]; then
    exec "$@"
fi
export CAFE_NETNS=1
map=""
[ "$(id -u)" -eq 0 ] || map="--map-root-user"
exec unshare --net $map sh -c 'ip link set lo up && exec "$@"' netns "$@"
