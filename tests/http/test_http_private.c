/* --no-private's address classifier: what counts as off the public internet. */
#include "testutil.h"
#include "http/internal.h"

static void test_private_addresses(void **state) {
    static const char *const private_ips[] = {
        "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        /* IPv4 inside IPv6: NAT64 (a gateway's
         * translation to 127.0.0.1, to 10.0.0.1),
         * its local-use prefix, 6to4 (the cloud
         * metadata address), Teredo */
        "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::a00:1", "2002:a9fe:a9fe::1",
        "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        /* site-local (deprecated, still routed
         * inside some networks), discard-only */
        "fec0::1", "100::1", "not an address",
        /* documentation: never globally reachable */
        "192.0.2.1", "198.51.100.7", "203.0.113.255", "2001:db8::1", "3fff::1", "3fff:fff::1"};
    for (size_t i = 0; i < sizeof private_ips / sizeof private_ips[0]; i++)
        if (!cafe__http_ip_private(private_ips[i]))
            fail_msg("%s should be refused", private_ips[i]);
}

static void test_public_addresses(void **state) {
    /* Parsed, never connected to: the classifier is pure. */
    static const char *const public_ips[] = {
        "1.1.1.1",         "8.8.8.8",      "172.32.0.1",     "192.169.0.1",      "100.128.0.1",
        "2001:4860::8888", "2606:4700::1", "::ffff:1.1.1.1", "64:ff9b::808:808", "2002:808:808::1",
        "192.0.3.1",       "198.51.101.1", "203.0.114.1",    "2001:db9::1",      "3fff:1000::1"};
    for (size_t i = 0; i < sizeof public_ips / sizeof public_ips[0]; i++)
        if (cafe__http_ip_private(public_ips[i]))
            fail_msg("%s should be allowed", public_ips[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_addresses),
        cmocka_unit_test(test_public_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
