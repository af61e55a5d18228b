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
# Where no namespace can be made (no unshare, no user namespaces, a container that forbids
# them) the test cannot run safely: it is skipped (77, CTest's SKIP_RETURN_CODE), not passed.
if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1 ||
    ! unshare --net $map true 2>/dev/null; then
    echo "netns: no network namespace can be made here (unshare --net $map): skipped" >&2
    exit 77
fi
exec unshare --net $map sh -c 'ip link set lo up && exec "$@"' netns "$@"
