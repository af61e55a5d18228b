#!/bin/sh
# Installs the Debian packages of the given groups (see scripts/packages.txt) that are
# missing, and nothing when all are present. Idempotent; runs apt-get update first when
# anything must be installed (a fresh machine's package lists are empty).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
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
echo "deps: installing$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
