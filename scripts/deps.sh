#!/bin/sh
# Installs the Debian packages of the given groups (see scripts/packages.txt) that are
# missing, and nothing when all are present. Idempotent; runs apt-get update first when
# anything must be installed (a fresh machine's package lists are empty).
#   scripts/deps.sh [--check] GROUP...   --check: install nothing, say what is missing (exit 1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
check=0
if [ "${1:-}" = --check ]; then
    check=1
    shift
fi
groups=${*:-build}
missing=""
for group in $groups; do
    for pkg in $(awk -v g="$group" '$1 == g { print $2 }' "$here/packages.txt"); do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
        esac
    done
done
[ -z "$missing" ] && exit 0
if [ $check = 1 ]; then
    echo "deps: these Debian packages are missing:$missing" >&2
    echo "deps: install them, or run: make deps DEPS=\"$groups\"" >&2
    exit 1
fi
echo "deps: installing$missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps: these Debian packages are missing:$missing" >&2
        echo "deps: run as root (or install sudo), or install them yourself" >&2
        exit 1
    fi
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
# Installing a server package starts its system service (nginx on port 80, redis on 6379).
# The tests start their own servers on free loopback ports: stop and disable the services
# that this install just brought, and leave any that were there before alone.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    for pkg in $missing; do
        case "$pkg" in
        nginx-light) $sudo systemctl disable --now nginx >/dev/null 2>&1 || true ;;
        redis-server) $sudo systemctl disable --now redis-server >/dev/null 2>&1 || true ;;
        esac
    done
fi
