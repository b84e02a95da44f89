/* Unit tests of the vip plugin's Neighbor Discovery packets, against packets Linux itself sent. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nd.h"

/* Captured on a veth pair (tcpdump -xx), from the IPv6 header on: Linux 6.18 defending
 * 2001:db8::100 (MAC 96:cb:1f:38:77:25) against a DAD probe, and that probe, which carries the
 * nonce option of RFC 7527. */
static const unsigned char kernel_na[] = {
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xcc, 0x04, 0x20, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01, 0x96, 0xcb, 0x1f, 0x38, 0x77, 0x25,
};
static const unsigned char kernel_ns[] = {
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xff, 0x00, 0x01, 0x00, 0x87, 0x00, 0x55, 0xff, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0e, 0x01, 0x70, 0x58, 0x05, 0x58, 0x71, 0x36,
};
static const unsigned char kernel_mac[ND_MAC_LEN] = { 0x96, 0xcb, 0x1f, 0x38, 0x77, 0x25 };

static struct in6_addr addr(const char *s)
{
        struct in6_addr a;

        ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
        return a;
}

/* An independent checksum (RFC 1071 over the RFC 8200 pseudo-header), to re-seal edited packets. */
static void reseal(unsigned char *pkt, size_t len)
{
        unsigned long sum = 0;
        size_t plen = (size_t) pkt[4] << 8 | pkt[5];

        pkt[42] = pkt[43] = 0;
        for (size_t i = 8; i < 40; i += 2)
                sum += (unsigned) pkt[i] << 8 | pkt[i + 1];
        sum += plen + 58;
        for (size_t i = 40; i < 40 + plen && i < len; i += 2)
                sum += (unsigned) pkt[i] << 8 | (i + 1 < 40 + plen ? pkt[i + 1] : 0);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        pkt[42] = (unsigned char) (~sum >> 8);
        pkt[43] = (unsigned char) ~sum;
}

START_TEST(na_is_what_linux_sends)
{
        struct in6_addr t = addr("2001:db8::100");
        unsigned char buf[ND_NA_LEN], dst[ND_MAC_LEN];
        static const unsigned char all_nodes_mac[ND_MAC_LEN] = { 0x33, 0x33, 0, 0, 0, 1 };

        ck_assert_uint_eq(nd_build_na(&t, kernel_mac, false, buf, dst), sizeof kernel_na);
        ck_assert_mem_eq(buf, kernel_na, sizeof kernel_na);
        ck_assert_mem_eq(dst, all_nodes_mac, ND_MAC_LEN);
        /* the router flag and nothing else changes */
        nd_build_na(&t, kernel_mac, true, buf, dst);
        ck_assert_uint_eq(buf[44], 0xa0);
}
END_TEST

START_TEST(probe_is_a_dad_solicitation)
{
        struct in6_addr t = addr("2001:db8::1:2345:6789"), want_group = addr("ff02::1:ff45:6789"), g;
        unsigned char buf[ND_PROBE_LEN], dst[ND_MAC_LEN], copy[ND_PROBE_LEN], mac[ND_MAC_LEN];
        static const unsigned char want_mac[ND_MAC_LEN] = { 0x33, 0x33, 0xff, 0x45, 0x67, 0x89 };
        bool has_mac = true;

        ck_assert_uint_eq(nd_build_probe(&t, buf, dst), ND_PROBE_LEN);
        ck_assert_mem_eq(dst, want_mac, ND_MAC_LEN);
        nd_solicited_node(&t, &g, NULL);
        ck_assert(IN6_ARE_ADDR_EQUAL(&g, &want_group));
        ck_assert_mem_eq(buf + 24, &g, 16);
        ck_assert(IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *) (const void *) (buf + 8)));
        ck_assert_uint_eq(buf[7], 255);
        ck_assert_uint_eq(buf[40], 135);
        /* the checksum agrees with an independent computation */
        memcpy(copy, buf, sizeof copy);
        reseal(copy, sizeof copy);
        ck_assert_mem_eq(copy, buf, sizeof buf);
        ck_assert_int_eq(nd_classify(buf, sizeof buf, &t, mac, &has_mac), ND_PROBED);
        ck_assert(!has_mac);
}
END_TEST

START_TEST(kernel_packets_classified)
{
        struct in6_addr t = addr("2001:db8::100"), other = addr("2001:db8::101");
        unsigned char mac[ND_MAC_LEN];
        bool has_mac = false;

        ck_assert_int_eq(nd_classify(kernel_na, sizeof kernel_na, &t, mac, &has_mac), ND_IN_USE);
        ck_assert(has_mac);
        ck_assert_mem_eq(mac, kernel_mac, ND_MAC_LEN);
        ck_assert_int_eq(nd_classify(kernel_na, sizeof kernel_na, &other, mac, &has_mac), ND_NOTHING);
        ck_assert_int_eq(nd_classify(kernel_ns, sizeof kernel_ns, &t, mac, &has_mac), ND_PROBED);
        ck_assert(!has_mac); /* a nonce is not a link-layer address */
        ck_assert_int_eq(nd_classify(kernel_ns, sizeof kernel_ns, &other, mac, &has_mac), ND_NOTHING);
}
END_TEST

/* Edits of the kernel's advertisement: what each does to its meaning. */
struct edit_case {
        const char *what;
        size_t at; /* byte to change, or 0 for none */
        unsigned char value;
        bool reseal;    /* recompute the checksum after the edit */
        long len_delta; /* bytes added (padding) or cut */
        enum nd_seen want;
};

static const struct edit_case edit_cases[] = {
        { "as sent", 0, 0, false, 0, ND_IN_USE },
        { "Ethernet padding after it", 0, 0, false, 10, ND_IN_USE },
        { "a bad checksum", 43, 0x05, false, 0, ND_NOTHING },
        { "hop limit 64 (forwarded: not on-link)", 7, 64, false, 0, ND_NOTHING },
        { "ICMPv6 code 1", 41, 1, true, 0, ND_NOTHING },
        { "an option of length 0", 65, 0, true, 0, ND_NOTHING },
        { "an option longer than the packet", 65, 2, true, 0, ND_NOTHING },
        { "cut short", 0, 0, false, -8, ND_NOTHING },
        { "only the fixed part", 0, 0, false, -48, ND_NOTHING },
        { "another next header (an extension header first)", 6, 0, true, 0, ND_NOTHING },
        { "IPv4's version", 0, 0x40, false, 0, ND_NOTHING },
        { "an echo request, not ND", 40, 128, true, 0, ND_NOTHING },
        /* another option type: no link-layer address named, but still an advertisement */
        { "a nonce instead of the link-layer option", 64, 14, true, 0, ND_IN_USE },
};

START_TEST(edits_table)
{
        const struct edit_case *c = &edit_cases[_i];
        struct in6_addr t = addr("2001:db8::100");
        unsigned char pkt[sizeof kernel_na + 16] = { 0 }, mac[ND_MAC_LEN];
        size_t len = (size_t) ((long) sizeof kernel_na + c->len_delta);
        bool has_mac = false;

        memcpy(pkt, kernel_na, sizeof kernel_na);
        if (c->at)
                pkt[c->at] = c->value;
        else if (c->value)
                pkt[0] = c->value;
        if (c->reseal)
                reseal(pkt, sizeof kernel_na);
        ck_assert_msg(nd_classify(pkt, len, &t, mac, &has_mac) == c->want, "case '%s'", c->what);
}
END_TEST

START_TEST(solicitation_from_the_address)
{
        struct in6_addr t = addr("2001:db8::100"), other = addr("2001:db8::9");
        unsigned char pkt[ND_PROBE_LEN + 8], dst[ND_MAC_LEN], mac[ND_MAC_LEN];
        static const unsigned char slla[8] = { 1, 1, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
        bool has_mac = false;

        /* the holder of t resolving 2001:db8::9: an NS from t, with its source link-layer address */
        nd_build_probe(&other, pkt, dst);
        memcpy(pkt + 8, &t, 16);
        memcpy(pkt + ND_PROBE_LEN, slla, sizeof slla);
        pkt[5] = 32;
        reseal(pkt, sizeof pkt);
        ck_assert_int_eq(nd_classify(pkt, sizeof pkt, &t, mac, &has_mac), ND_IN_USE);
        ck_assert(has_mac);
        ck_assert_mem_eq(mac, slla + 2, ND_MAC_LEN);
        /* ... which says nothing about 2001:db8::9's own holder */
        ck_assert_int_eq(nd_classify(pkt, sizeof pkt, &other, mac, &has_mac), ND_NOTHING);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("vip-nd");
        TCase *tc = tcase_create("packets");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, na_is_what_linux_sends);
        tcase_add_test(tc, probe_is_a_dad_solicitation);
        tcase_add_test(tc, kernel_packets_classified);
        tcase_add_loop_test(tc, edits_table, 0, (int) (sizeof edit_cases / sizeof edit_cases[0]));
        tcase_add_test(tc, solicitation_from_the_address);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
