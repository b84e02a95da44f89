/* IPv6 Neighbor Discovery packets for the vip plugin (RFC 4861, RFC 4862): built and read by hand,
 * as a probe must come from the unspecified address, which no IPv6 socket lets a program send from. */
#include <string.h>

#include "nd.h"

#define IP6_HDR_LEN 40
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_ROUTER 0x80
#define NA_SOLICITED 0x40
#define NA_OVERRIDE 0x20
#define NEXTHDR_ICMP6 58

static const struct in6_addr all_nodes = { { { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 } } };

/* Multicast IPv6 to Ethernet: 33:33 and the group's last 32 bits (RFC 2464 7). */
static void multicast_mac(const struct in6_addr *group, unsigned char mac[ND_MAC_LEN])
{
        mac[0] = 0x33;
        mac[1] = 0x33;
        memcpy(mac + 2, group->s6_addr + 12, 4);
}

void nd_solicited_node(const struct in6_addr *a, struct in6_addr *ret_group, unsigned char ret_mac[ND_MAC_LEN])
{
        static const unsigned char prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
        struct in6_addr g;

        memcpy(g.s6_addr, prefix, sizeof prefix);
        memcpy(g.s6_addr + 13, a->s6_addr + 13, 3);
        if (ret_group)
                *ret_group = g;
        if (ret_mac)
                multicast_mac(&g, ret_mac);
}

/* The ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header of RFC 8200 8.1 and the message. */
static unsigned short icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst, const unsigned char *msg,
                                     size_t len)
{
        unsigned long sum = 0;

        for (size_t i = 0; i < 16; i += 2)
                sum += (unsigned) (src->s6_addr[i] << 8 | src->s6_addr[i + 1]) +
                       (unsigned) (dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
        sum += (len >> 16) + (len & 0xffff) + NEXTHDR_ICMP6;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (unsigned) (msg[i] << 8 | msg[i + 1]);
        if (len & 1)
                sum += (unsigned) msg[len - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (unsigned short) ~sum;
}

static void ip6_header(unsigned char *buf, size_t payload, const struct in6_addr *src, const struct in6_addr *dst)
{
        memset(buf, 0, IP6_HDR_LEN);
        buf[0] = 0x60; /* version 6, traffic class and flow label 0 */
        buf[4] = (unsigned char) (payload >> 8);
        buf[5] = (unsigned char) payload;
        buf[6] = NEXTHDR_ICMP6;
        buf[7] = 255; /* RFC 4861: receivers drop Neighbor Discovery with any other hop limit */
        memcpy(buf + 8, src, 16);
        memcpy(buf + 24, dst, 16);
}

static void set_checksum(unsigned char *buf, size_t len)
{
        struct in6_addr src, dst;
        unsigned short c;

        memcpy(&src, buf + 8, 16);
        memcpy(&dst, buf + 24, 16);
        buf[IP6_HDR_LEN + 2] = buf[IP6_HDR_LEN + 3] = 0;
        c = icmp6_checksum(&src, &dst, buf + IP6_HDR_LEN, len - IP6_HDR_LEN);
        buf[IP6_HDR_LEN + 2] = (unsigned char) (c >> 8);
        buf[IP6_HDR_LEN + 3] = (unsigned char) c;
}

size_t nd_build_probe(const struct in6_addr *target, unsigned char *buf, unsigned char ret_dst_mac[ND_MAC_LEN])
{
        struct in6_addr group;
        unsigned char *m = buf + IP6_HDR_LEN;

        nd_solicited_node(target, &group, ret_dst_mac);
        ip6_header(buf, ND_PROBE_LEN - IP6_HDR_LEN, &in6addr_any, &group);
        memset(m, 0, ND_PROBE_LEN - IP6_HDR_LEN);
        m[0] = ICMP6_NS;
        memcpy(m + 8, target, 16);
        set_checksum(buf, ND_PROBE_LEN);
        return ND_PROBE_LEN;
}

size_t nd_build_na(const struct in6_addr *target, const unsigned char mac[ND_MAC_LEN], bool router, unsigned char *buf,
                   unsigned char ret_dst_mac[ND_MAC_LEN])
{
        unsigned char *m = buf + IP6_HDR_LEN;

        ip6_header(buf, ND_NA_LEN - IP6_HDR_LEN, target, &all_nodes);
        memset(m, 0, ND_NA_LEN - IP6_HDR_LEN);
        m[0] = ICMP6_NA;
        /* Override: the neighbours' entries take the new MAC at once. Never solicited: sent to a
         * multicast address (RFC 4861 7.2.4). Router as this node is one, or neighbours that
         * route through it would drop it from their default routers. */
        m[4] = NA_OVERRIDE | (router ? NA_ROUTER : 0);
        memcpy(m + 8, target, 16);
        m[24] = ND_OPT_TLLA;
        m[25] = 1; /* in units of 8 bytes */
        memcpy(m + 26, mac, ND_MAC_LEN);
        set_checksum(buf, ND_NA_LEN);
        if (ret_dst_mac)
                multicast_mac(&all_nodes, ret_dst_mac);
        return ND_NA_LEN;
}

/* Finds option TYPE among the message's options; false when the options are malformed (a zero
 * length or one past the end makes the whole message invalid, RFC 4861 7.1.1). */
static bool find_option(const unsigned char *opts, size_t len, unsigned type, unsigned char ret_mac[ND_MAC_LEN],
                        bool *ret_found)
{
        *ret_found = false;
        for (size_t p = 0; p < len;) {
                size_t olen;

                if (len - p < 2)
                        return false;
                olen = (size_t) opts[p + 1] * 8;
                if (olen == 0 || olen > len - p)
                        return false;
                if (opts[p] == type && olen >= 2 + ND_MAC_LEN && !*ret_found) {
                        memcpy(ret_mac, opts + p + 2, ND_MAC_LEN);
                        *ret_found = true;
                }
                p += olen;
        }
        return true;
}

enum nd_seen nd_classify(const unsigned char *pkt, size_t len, const struct in6_addr *target,
                         unsigned char ret_mac[ND_MAC_LEN], bool *ret_has_mac)
{
        struct in6_addr src, dst, tgt;
        const unsigned char *m;
        size_t plen;
        bool has_mac = false;
        unsigned char mac[ND_MAC_LEN];

        *ret_has_mac = false;
        if (len < IP6_HDR_LEN + 24 || (pkt[0] >> 4) != 6 || pkt[6] != NEXTHDR_ICMP6 || pkt[7] != 255)
                return ND_NOTHING;
        plen = (size_t) pkt[4] << 8 | pkt[5];
        /* A frame may carry Ethernet padding after the packet; a shorter one is truncated. */
        if (plen < 24 || plen > len - IP6_HDR_LEN)
                return ND_NOTHING;
        memcpy(&src, pkt + 8, 16);
        memcpy(&dst, pkt + 24, 16);
        m = pkt + IP6_HDR_LEN;
        if ((m[0] != ICMP6_NS && m[0] != ICMP6_NA) || m[1] != 0 || icmp6_checksum(&src, &dst, m, plen) != 0)
                return ND_NOTHING;
        memcpy(&tgt, m + 8, 16);
        if (!find_option(m + 24, plen - 24, m[0] == ICMP6_NA ? ND_OPT_TLLA : ND_OPT_SLLA, mac, &has_mac))
                return ND_NOTHING;
        *ret_has_mac = has_mac;
        if (has_mac)
                memcpy(ret_mac, mac, ND_MAC_LEN);

        if (m[0] == ICMP6_NS) {
                /* From ::, for the address: a host probing for it (RFC 4862 5.4.3). From the
                 * address itself: its owner resolving a neighbour. */
                if (IN6_IS_ADDR_UNSPECIFIED(&src))
                        return IN6_ARE_ADDR_EQUAL(&tgt, target) ? ND_PROBED : ND_NOTHING;
                return IN6_ARE_ADDR_EQUAL(&src, target) ? ND_IN_USE : ND_NOTHING;
        }
        /* An advertisement of the address (an answer to a probe, an announcement), or one sent
         * from it: the address is in use (RFC 4862 5.4.4). */
        return IN6_ARE_ADDR_EQUAL(&tgt, target) || IN6_ARE_ADDR_EQUAL(&src, target) ? ND_IN_USE : ND_NOTHING;
}

/* ldb [6] (next header) = 58, ldb [40] (ICMPv6 type) = 135 or 136; a load past the end drops. */
static struct sock_filter nd_filter_code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NEXTHDR_ICMP6, 0, 4),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, IP6_HDR_LEN),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_NS, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_NA, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
};

const struct sock_fprog nd_filter = {
        .len = sizeof nd_filter_code / sizeof nd_filter_code[0],
        .filter = nd_filter_code,
};
