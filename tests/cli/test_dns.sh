#!/bin/sh
# Name resolution on the loop, end to end (tests/cli/dns_e2e.py), against a DNS server of the
# test's own on 127.0.0.1:53 of this network namespace, with /etc/resolv.conf and /etc/hosts
# bind-mounted in a private mount namespace: no query can leave the namespace.
set -eu
if [ "${CAFE_DNS_MOUNTED:-}" != 1 ]; then
    unshare --mount true 2>/dev/null || { echo "SKIP: no private mount namespace here"; exit 77; }
    CAFE_DNS_MOUNTED=1 exec unshare --mount "$0"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf 'nameserver 127.0.0.1\nsearch ok.test\noptions ndots:1 timeout:1 attempts:2\n' >"$dir/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n127.0.0.1 pinned.nx.test\n' >"$dir/hosts"
mount --make-rprivate / 2>/dev/null || true
mount --bind "$dir/resolv.conf" /etc/resolv.conf
mount --bind "$dir/hosts" /etc/hosts
exec python3 "$CAFE_SOURCE_DIR/tests/cli/dns_e2e.py"
