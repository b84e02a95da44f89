/* Unit tests of the vip plugin against the host-API mock: which of a node's addresses are the VIP, and
 * which of those is it in the configured form (netlink's address objects, built here, no socket);
 * where the VIP stands among a set of addresses, and which copies are new since a first look;
 * which address, label and option forms validate takes; what describe says. */
#include <check.h>

#include "hostapi-mock.h"

/* Included rather than linked: vip_load() and the address matching are static. */
#include "vip.c"

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define IFINDEX 2

static struct xhafw_step *vip_step(const char *address, const char *label)
{
        const struct mock_option opts[] = {
                { "address", address },
                { "interface", "eth0" },
                { "label", label },
                { NULL, NULL },
        };

        return mock_step_new(&xhafw_plugin_v1, "vip", opts);
}

/* ---- which addresses are the VIP ---- */

struct match_case {
        const char *vip;  /* the configured address */
        const char *addr; /* an address of the node, with its prefix length */
        int ifindex;
        const char *label; /* NULL: none */
        unsigned flags;
        int configured_ifindex; /* of the configured interface; 0: it does not exist */
        bool is_vip, configured, unusable;
};

static const struct match_case match_cases[] = {
        /* IPv4: the configured form is the interface, the prefix length and the label */
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX, "eth0:0", 0, IFINDEX, true, true, false },
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX, "eth0", 0, IFINDEX, true, false, false },
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX, NULL, 0, IFINDEX, true, false, false },
        { "192.0.2.7/24", "192.0.2.7/32", IFINDEX, "eth0:0", 0, IFINDEX, true, false, false },
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX + 1, "eth0:0", 0, IFINDEX, true, false, false },
        /* an interface that does not exist holds no configured copy */
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX, "eth0:0", 0, 0, true, false, false },
        /* other addresses are not the VIP, whatever else matches */
        { "192.0.2.7/24", "192.0.2.8/24", IFINDEX, "eth0:0", 0, IFINDEX, false, false, false },
        { "192.0.2.7/24", "192.0.2.70/24", IFINDEX, "eth0:0", 0, IFINDEX, false, false, false },
        { "192.0.2.7/24", "::ffff:192.0.2.7/120", IFINDEX, NULL, 0, IFINDEX, false, false, false },
        /* IPv6: no label; a copy the kernel still checks, or found in use elsewhere, is not held */
        { "2001:db8::7/64", "2001:db8::7/64", IFINDEX, NULL, 0, IFINDEX, true, true, false },
        { "2001:db8::7/64", "2001:db8:0:0::7/64", IFINDEX, "eth0", 0, IFINDEX, true, true, false },
        { "2001:db8::7/64", "2001:db8::7/64", IFINDEX, NULL, IFA_F_TENTATIVE, IFINDEX, true, false, true },
        { "2001:db8::7/64", "2001:db8::7/64", IFINDEX, NULL, IFA_F_DADFAILED, IFINDEX, true, false, true },
        { "2001:db8::7/64", "2001:db8::7/64", IFINDEX, NULL, IFA_F_NODAD | IFA_F_PERMANENT, IFINDEX, true, true,
          false },
        { "2001:db8::7/64", "2001:db8::7/128", IFINDEX, NULL, 0, IFINDEX, true, false, false },
        { "2001:db8::7/64", "2001:db8::7/64", IFINDEX + 1, NULL, 0, IFINDEX, true, false, false },
        { "2001:db8::7/64", "2001:db8::8/64", IFINDEX, NULL, 0, IFINDEX, false, false, false },
        { "2001:db8::7/64", "192.0.2.7/24", IFINDEX, "eth0:0", 0, IFINDEX, false, false, false },
        /* the IPv4 flag bits mean nothing of the kind */
        { "192.0.2.7/24", "192.0.2.7/24", IFINDEX, "eth0:0", IFA_F_TENTATIVE, IFINDEX, true, true, false },
};

START_TEST(match_table)
{
        const struct match_case *c = &match_cases[_i];
        struct xhafw_step *step = vip_step(c->vip, NULL);
        struct rtnl_addr *a = rtnl_addr_alloc();
        struct nl_addr *local = NULL;
        struct vip v;

        ck_assert_int_eq(vip_load(step, &v), 0);
        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(nl_addr_parse(c->addr, AF_UNSPEC, &local), 0);
        rtnl_addr_set_family(a, nl_addr_get_family(local));
        ck_assert_int_eq(rtnl_addr_set_local(a, local), 0);
        rtnl_addr_set_prefixlen(a, (int) nl_addr_get_prefixlen(local));
        rtnl_addr_set_ifindex(a, c->ifindex);
        if (c->label)
                ck_assert_int_eq(rtnl_addr_set_label(a, c->label), 0);
        rtnl_addr_set_flags(a, c->flags);
        ck_assert_msg(addr_is_vip(&v, a) == c->is_vip, "case %d: is the VIP: %d", _i, !c->is_vip);
        ck_assert_msg(addr_is_configured(&v, c->configured_ifindex, a) == c->configured,
                      "case %d: in the configured form: %d", _i, !c->configured);
        ck_assert_msg(addr_unusable(a) == c->unusable, "case %d: unusable: %d", _i, !c->unusable);
        nl_addr_put(local);
        rtnl_addr_put(a);
        mock_step_free(step);
}
END_TEST

/* ---- where the VIP stands among a node's addresses, and which copies are new since a first look ---- */

#define LO 1

/* An address of the node in CACHE: "addr/len" on IFINDEX, with LABEL (NULL: none) and FLAGS. */
static struct rtnl_addr *cache_add(struct nl_cache *cache, const char *addr, int ifindex, const char *label,
                                   unsigned flags)
{
        struct rtnl_addr *a = rtnl_addr_alloc();
        struct nl_addr *local = NULL;

        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(nl_addr_parse(addr, AF_UNSPEC, &local), 0);
        rtnl_addr_set_family(a, nl_addr_get_family(local));
        ck_assert_int_eq(rtnl_addr_set_local(a, local), 0);
        rtnl_addr_set_prefixlen(a, (int) nl_addr_get_prefixlen(local));
        rtnl_addr_set_ifindex(a, ifindex);
        if (label)
                ck_assert_int_eq(rtnl_addr_set_label(a, label), 0);
        rtnl_addr_set_flags(a, flags);
        ck_assert_int_eq(nl_cache_add(cache, (struct nl_object *) a), 0);
        nl_addr_put(local);
        rtnl_addr_put(a); /* the cache holds it */
        return a;
}

struct node_addr {
        const char *addr;
        int ifindex;
        const char *label;
        unsigned flags;
};

struct classify_case {
        const char *vip;
        int configured_ifindex;
        struct node_addr addrs[4]; /* up to the first with addr NULL */
        unsigned copies;
        int configured, in_the_way; /* the index in addrs of the one found, or -1 */
};

static const struct classify_case classify_cases[] = {
        /* the configured copy and one on lo (added by a site's script, say): two copies */
        { "192.0.2.7/24",
          IFINDEX,
          { { "192.0.2.7/24", IFINDEX, "eth0:0", 0 },
            { "192.0.2.7/32", LO, "lo", 0 },
            { "192.0.2.1/24", IFINDEX, "eth0", 0 } },
          2,
          0,
          -1 },
        /* another label with the same prefix length takes the configured copy's place */
        { "192.0.2.7/24", IFINDEX, { { "192.0.2.7/24", IFINDEX, "eth0:7", 0 } }, 1, -1, 0 },
        /* another prefix length sits beside it (IPv4) */
        { "192.0.2.7/24", IFINDEX, { { "192.0.2.7/32", IFINDEX, "eth0", 0 } }, 1, -1, -1 },
        { "192.0.2.7/24",
          IFINDEX,
          { { "192.0.2.7/24", IFINDEX + 1, "eth1", 0 }, { "192.0.2.8/24", IFINDEX, "eth0:0", 0 } },
          1,
          -1,
          -1 },
        /* the configured interface does not exist: nothing is in its form or in its way */
        { "192.0.2.7/24", 0, { { "192.0.2.7/24", IFINDEX, "eth0:0", 0 } }, 1, -1, -1 },
        /* IPv6: one per interface and address, whatever the prefix length or state */
        { "2001:db8::7/64", IFINDEX, { { "2001:db8::7/128", IFINDEX, NULL, 0 } }, 1, -1, 0 },
        { "2001:db8::7/64", IFINDEX, { { "2001:db8::7/64", IFINDEX, NULL, IFA_F_TENTATIVE } }, 1, -1, 0 },
        { "2001:db8::7/64",
          IFINDEX,
          { { "2001:db8::7/64", IFINDEX, NULL, 0 },
            { "2001:db8::7/128", LO, NULL, 0 },
            { "192.0.2.7/24", IFINDEX, "eth0:0", 0 } },
          2,
          0,
          -1 },
        /* no copy at all */
        { "192.0.2.7/24", IFINDEX, { { "192.0.2.1/24", IFINDEX, "eth0", 0 } }, 0, -1, -1 },
};

START_TEST(classify_table)
{
        const struct classify_case *c = &classify_cases[_i];
        struct xhafw_step *step = vip_step(c->vip, NULL);
        struct rtnl_addr *added[4] = { NULL };
        struct vip_scan scan = { 0 };
        struct vip v;

        ck_assert_int_eq(vip_load(step, &v), 0);
        ck_assert_int_eq(nl_cache_alloc_name("route/addr", &scan.cache), 0);
        for (int i = 0; i < N(c->addrs) && c->addrs[i].addr; i++)
                added[i] = cache_add(scan.cache, c->addrs[i].addr, c->addrs[i].ifindex, c->addrs[i].label,
                                     c->addrs[i].flags);
        vip_scan_classify(&v, c->configured_ifindex, &scan);
        ck_assert_msg(scan.copies == c->copies, "case %d: %u copies, want %u", _i, scan.copies, c->copies);
        ck_assert_msg(scan.configured == (c->configured < 0 ? NULL : added[c->configured]), "case %d: configured", _i);
        ck_assert_msg(scan.in_the_way == (c->in_the_way < 0 ? NULL : added[c->in_the_way]), "case %d: in the way", _i);
        vip_scan_done(&scan);
        mock_step_free(step);
}
END_TEST

struct seen_case {
        struct node_addr now; /* a copy at the second look */
        bool seen;            /* whether it was among the first look's addresses */
};

/* The first look: the configured IPv4 copy, one on lo, an IPv6 copy (tentative then). */
static const struct node_addr first_look[] = {
        { "192.0.2.7/24", IFINDEX, "eth0:0", 0 },
        { "192.0.2.7/32", LO, "lo", 0 },
        { "2001:db8::7/64", IFINDEX, NULL, IFA_F_TENTATIVE },
};

static const struct seen_case seen_cases[] = {
        { { "192.0.2.7/24", IFINDEX, "eth0:0", 0 }, true },
        { { "192.0.2.7/32", LO, "lo", 0 }, true },
        /* the same address in another form is another copy */
        { { "192.0.2.7/24", IFINDEX, "eth0:7", 0 }, false },
        { { "192.0.2.7/24", IFINDEX, NULL, 0 }, false },
        { { "192.0.2.7/32", IFINDEX, "eth0:0", 0 }, false },
        { { "192.0.2.7/24", IFINDEX + 1, "eth0:0", 0 }, false },
        { { "192.0.2.7/32", LO, "lo:1", 0 }, false },
        { { "192.0.2.8/24", IFINDEX, "eth0:0", 0 }, false },
        /* a copy's state is not what names it: the tentative address became usable */
        { { "2001:db8::7/64", IFINDEX, NULL, IFA_F_PERMANENT }, true },
        { { "2001:db8::7/128", IFINDEX, NULL, 0 }, false },
        { { "2001:db8::7/64", LO, NULL, 0 }, false },
};

START_TEST(seen_table)
{
        const struct seen_case *c = &seen_cases[_i];
        struct nl_cache *before = NULL, *now = NULL;
        struct rtnl_addr *a;

        ck_assert_int_eq(nl_cache_alloc_name("route/addr", &before), 0);
        ck_assert_int_eq(nl_cache_alloc_name("route/addr", &now), 0);
        for (int i = 0; i < N(first_look); i++)
                cache_add(before, first_look[i].addr, first_look[i].ifindex, first_look[i].label, first_look[i].flags);
        a = cache_add(now, c->now.addr, c->now.ifindex, c->now.label, c->now.flags);
        ck_assert_msg(copy_seen(before, a) == c->seen, "case %d: seen %d", _i, !c->seen);
        /* no first look: every copy is new */
        ck_assert(!copy_seen(NULL, a));
        nl_cache_free(before);
        nl_cache_free(now);
}
END_TEST

/* ---- the forms validate takes ---- */

struct validate_case {
        const char *address, *label;
        const char *name, *value; /* one more option */
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { "192.0.2.7/24", NULL, NULL, NULL, 0, NULL },
        { "192.0.2.7/24", "eth0", NULL, NULL, 0, NULL },
        { "192.0.2.7/24", "eth0:vip", NULL, NULL, 0, NULL },
        /* the edges of a subnet are no host address, except where a /31 or /32 has no edges */
        { "192.0.2.0/24", NULL, NULL, NULL, -EINVAL, "address '192.0.2.0/24' is the network address of its subnet" },
        { "192.0.2.255/24", NULL, NULL, NULL, -EINVAL, "address '192.0.2.255/24' is the broadcast address" },
        { "192.0.2.6/31", NULL, NULL, NULL, 0, NULL },
        { "192.0.2.7/32", NULL, NULL, NULL, 0, NULL },
        { "192.0.2.4/30", NULL, NULL, NULL, -EINVAL, "is the network address of its subnet" },
        { "127.0.0.7/8", NULL, NULL, NULL, -EINVAL, "address '127.0.0.7/8' is not a unicast host address" },
        { "224.0.0.7/24", NULL, NULL, NULL, -EINVAL, "is not a unicast host address" },
        { "240.0.0.7/24", NULL, NULL, NULL, -EINVAL, "is not a unicast host address" },
        { "0.0.0.0/8", NULL, NULL, NULL, -EINVAL, "is not a unicast host address" },
        /* the prefix length is required: the kernel would take /32 and miss the subnet */
        { "192.0.2.7", NULL, NULL, NULL, -EINVAL,
          "address '192.0.2.7' lacks a prefix length: write it as "
          "192.0.2.7/24" },
        { "2001:db8::7", NULL, NULL, NULL, -EINVAL, "write it as 2001:db8::7/64" },
        { "192.0.2.7/0", NULL, NULL, NULL, -EINVAL, "the prefix length must be a number from 1 to 32" },
        /* IPv6 */
        { "2001:db8::7/64", NULL, NULL, NULL, 0, NULL },
        { "fd00::7/64", NULL, NULL, NULL, 0, NULL },
        { "fe80::7/64", NULL, NULL, NULL, -EINVAL, "it is link-local" },
        { "ff02::7/64", NULL, NULL, NULL, -EINVAL, "it is a multicast address" },
        { "::1/128", NULL, NULL, NULL, -EINVAL, "the unspecified or the loopback address" },
        { "::ffff:192.0.2.7/120", NULL, NULL, NULL, -EINVAL, "an IPv4-mapped or IPv4-compatible address" },
        /* all interface-identifier bits zero: the subnet-router anycast address, but not on a /127 */
        { "2001:db8::/64", NULL, NULL, NULL, -EINVAL, "is the subnet-router anycast address of its prefix" },
        { "2001:db8::100/120", NULL, NULL, NULL, -EINVAL, "subnet-router anycast" },
        { "2001:db8::100/119", NULL, NULL, NULL, 0, NULL },
        { "2001:db8::6/127", NULL, NULL, NULL, 0, NULL },
        /* labels: the interface's name, or it, ':' and a suffix, 15 characters at most; IPv4 only */
        { "192.0.2.7/24", "eth1:0", NULL, NULL, -EINVAL, "label 'eth1:0' must be 'eth0' or start with 'eth0:'" },
        { "192.0.2.7/24", "eth00", NULL, NULL, -EINVAL, "must be 'eth0' or start with 'eth0:'" },
        { "192.0.2.7/24", "eth0:0123456789a", NULL, NULL, -EINVAL, "label 'eth0:0123456789a' is longer than 15" },
        { "192.0.2.7/24", "eth0:a b", NULL, NULL, -EINVAL, "contains a blank, a control character or '/'" },
        { "2001:db8::7/64", "eth0:0", NULL, NULL, -EINVAL, "IPv6 addresses have no labels" },
        /* each family's own options */
        { "2001:db8::7/64", NULL, "garp_count", "3", -EINVAL, "garp_count, garp_interval and arp_mode are for IPv4" },
        { "2001:db8::7/64", NULL, "arp_mode", "reply", -EINVAL, "are for IPv4 VIPs" },
        { "2001:db8::7/64", NULL, "garp_count", "5", 0, NULL },
        { "192.0.2.7/24", NULL, "dad", "kernel", -EINVAL, "dad applies to IPv6 VIPs only" },
        { "192.0.2.7/24", NULL, "na_count", "3", -EINVAL, "na_count applies to IPv6 VIPs only" },
        { "2001:db8::7/64", NULL, "dad", "kernel", 0, NULL },
        { "2001:db8::7/64", NULL, "dad", "both", -EINVAL, "dad = both: it must be 'probe' or 'kernel'" },
        { "192.0.2.7/24", NULL, "arp_mode", "announce", -EINVAL, "arp_mode = announce: it must be 'request' or " },
        /* bounds */
        { "192.0.2.7/24", NULL, "probe_count", "0", -EINVAL,
          "probe_count = 0 is out of range: it must be from 1 to "
          "100" },
        { "192.0.2.7/24", NULL, "probe_count", "101", -EINVAL, "probe_count = 101 is out of range" },
        { "192.0.2.7/24", NULL, "probe_timeout", "5ms", -EINVAL, "probe_timeout (ms) = 5 is out of range" },
        { "192.0.2.7/24", NULL, "probe_interval", "11s", -EINVAL, "probe_interval (ms) = 11000 is out of range" },
        { "192.0.2.7/24", NULL, "garp_count", "0", 0, NULL },
        { "192.0.2.7/24", NULL, "garp_count", "101", -EINVAL, "garp_count = 101 is out of range" },
        { "2001:db8::7/64", NULL, "na_count", "101", -EINVAL, "na_count = 101 is out of range" },
        { "192.0.2.7/24", NULL, "interface", "eth0:1", -EINVAL, "interface 'eth0:1' is not an interface name" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option opts[] = {
                { "address", c->address }, { "interface", "eth0" }, { "label", c->label },
                { c->name, c->value },     { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "vip", opts);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d\n%s", _i, r, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* The default label is the interface's name and ":0", which may not fit. */
START_TEST(default_label)
{
        const struct mock_option opts[] = {
                { "address", "192.0.2.7/24" },
                { "interface", "enp129s0f1np10" },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "vip", opts);
        struct vip v;

        ck_assert_int_eq(mock_validate(step), -EINVAL);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR,
                                            "the default label 'enp129s0f1np10:0' is longer than 15 "
                                            "characters: set 'label' (e.g. label = enp129s0f1np10)"));
        mock_set_option(step, "interface", "ens1f1");
        ck_assert_int_eq(vip_load(step, &v), 0);
        ck_assert_str_eq(v.label, "ens1f1:0");
        ck_assert_str_eq(v.host, "192.0.2.7");
        ck_assert_uint_eq(v.prefix, 24);
        mock_step_free(step);
}
END_TEST

/* The address as messages give it: alone, in its usual form. */
START_TEST(usual_form)
{
        struct xhafw_step *step = vip_step("2001:DB8:0:0::7/64", NULL);
        struct vip v;

        ck_assert_int_eq(vip_load(step, &v), 0);
        ck_assert_str_eq(v.host, "2001:db8::7");
        ck_assert_int_eq(v.family, AF_INET6);
        ck_assert_uint_eq(v.prefix, 64);
        ck_assert_str_eq(v.label, "");
        mock_step_free(step);
}
END_TEST

/* ---- describe ---- */

struct describe_case {
        const char *address;
        const char *name, *value, *name2, *value2;
        const char *want;
};

static const struct describe_case describe_cases[] = {
        { "192.0.2.7/24", NULL, NULL, NULL, NULL,
          "VIP 192.0.2.7/24 on eth0 as eth0:0; probe 3×50ms; 5 gratuitous "
          "ARPs\n" },
        { "192.0.2.7/24", "arp_mode", "reply", "garp_count", "1",
          "VIP 192.0.2.7/24 on eth0 as eth0:0; probe 3×50ms; "
          "1 gratuitous ARP reply\n" },
        { "192.0.2.7/24", "probe", "no", "garp_count", "2",
          "VIP 192.0.2.7/24 on eth0 as eth0:0; no probe; 2 "
          "gratuitous ARPs\n" },
        { "2001:db8::7/64", NULL, NULL, NULL, NULL,
          "VIP 2001:db8::7/64 on eth0 (IPv6: no label); probe 3×50ms, then "
          "added with nodad; 5 unsolicited neighbour advertisements\n" },
        { "2001:db8::7/64", "dad", "kernel", "na_count", "1",
          "VIP 2001:db8::7/64 on eth0 (IPv6: no label); the "
          "kernel's DAD, waited for; 1 unsolicited neighbour "
          "advertisement\n" },
        { "2001:db8::7/64", "probe", "no", NULL, NULL, "(IPv6: no label); no probe, added with nodad; 5 unsolicited" },
};

START_TEST(describe_table)
{
        const struct describe_case *c = &describe_cases[_i];
        const struct mock_option opts[] = {
                { "address", c->address },
                { "interface", "eth0" },
                { c->name ? c->name : "probe", c->value },
                { c->name2 ? c->name2 : "probe_count", c->value2 },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "vip", opts);
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_msg(strstr(text, c->want), "case %d: '%s', want '%s'", _i, text, c->want);
        free(text);
        mock_step_free(step);
}
END_TEST

static Suite *vip_suite(void)
{
        Suite *s = suite_create("vip");
        TCase *tc = tcase_create("vip");

        tcase_add_loop_test(tc, match_table, 0, N(match_cases));
        tcase_add_loop_test(tc, classify_table, 0, N(classify_cases));
        tcase_add_loop_test(tc, seen_table, 0, N(seen_cases));
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_test(tc, default_label);
        tcase_add_test(tc, usual_form);
        tcase_add_loop_test(tc, describe_table, 0, N(describe_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(vip_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
