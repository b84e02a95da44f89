/* IPv6 Neighbor Discovery packets for the vip plugin: the duplicate-address probe, the unsolicited
 * advertisement, and what a received packet says about an address. Pure functions on buffers,
 * from the IPv6 header on (an AF_PACKET SOCK_DGRAM socket adds and strips the Ethernet header). */
#ifndef XHAFW_VIP_ND_H
#define XHAFW_VIP_ND_H

#include <linux/filter.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define ND_MAC_LEN 6
/* IPv6 header (40) and a Neighbor Solicitation without options (24): RFC 4862 5.4.2, a probe from
 * the unspecified address carries no source link-layer address. */
#define ND_PROBE_LEN (40 + 24)
/* IPv6 header and a Neighbor Advertisement with the target link-layer address option (24 + 8). */
#define ND_NA_LEN (40 + 32)

/* The solicited-node multicast group of A (ff02::1:ffXX:XXXX) and its Ethernet address. */
void nd_solicited_node(const struct in6_addr *a, struct in6_addr *ret_group, unsigned char ret_mac[ND_MAC_LEN]);

/* A duplicate-address probe for TARGET: a Neighbor Solicitation from :: to TARGET's solicited-node
 * group, hop limit 255. Fills buf (at least ND_PROBE_LEN bytes) and the Ethernet destination;
 * returns the length. */
size_t nd_build_probe(const struct in6_addr *target, unsigned char *buf, unsigned char ret_dst_mac[ND_MAC_LEN]);

/* An unsolicited Neighbor Advertisement for TARGET from TARGET to all nodes (ff02::1): override set,
 * solicited clear, router as given, the target link-layer address MAC. Fills buf (at least
 * ND_NA_LEN bytes) and the Ethernet destination; returns the length. */
size_t nd_build_na(const struct in6_addr *target, const unsigned char mac[ND_MAC_LEN], bool router, unsigned char *buf,
                   unsigned char ret_dst_mac[ND_MAC_LEN]);

enum nd_seen {
        ND_NOTHING, /* not about the address, or not a valid Neighbor Discovery message */
        ND_IN_USE,  /* another host uses the address: it advertises it, or solicits from it */
        ND_PROBED,  /* another host probes for it (a solicitation from ::): it is about to take it */
};

/* What a received IPv6 packet (LEN bytes from its IPv6 header) says about TARGET. Only valid
 * messages count (RFC 4861 7.1.1/7.1.2: ICMPv6 without extension headers, hop limit 255, code 0,
 * correct checksum, options of non-zero length). *ret_has_mac says whether the message names a
 * link-layer address (the advertisement's target or the solicitation's source link-layer option),
 * then in ret_mac. */
enum nd_seen nd_classify(const unsigned char *pkt, size_t len, const struct in6_addr *target,
                         unsigned char ret_mac[ND_MAC_LEN], bool *ret_has_mac);

/* A classic BPF program for an AF_PACKET SOCK_DGRAM socket that passes ICMPv6 Neighbor
 * Solicitations and Advertisements only, so that a busy network's other IPv6 traffic never
 * reaches the plugin. */
extern const struct sock_fprog nd_filter;

#endif
