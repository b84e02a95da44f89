/* vip plugin: a virtual IPv4 or IPv6 address taken over netlink after a duplicate-address probe
 * (RFC 5227 ARP, RFC 4862 Neighbor Solicitation), announced by gratuitous ARP or unsolicited
 * neighbour advertisement. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include <xhafw/plugin.h>

#include "nd.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

/* The background announcer logs nothing (its messages would only go to syslog, unattributed):
 * step NULL is silent. */
#define log_step(step, ...) \
        do { \
                if (step) \
                        xhafw_log(step, __VA_ARGS__); \
        } while (0)

/* Bounds on what the admin controls: enough for any sane network, small enough that a typo in a
 * count or an interval cannot hold the step (and the takeover behind it) for minutes. */
#define VIP_MAX_COUNT 100
#define VIP_MAX_INTERVAL_MS 10000
#define VIP_MIN_PROBE_TIMEOUT_MS 10
/* This node's own MACs that the probe ignores: more interfaces than any management node has. */
#define VIP_MAX_OWN_MACS 256
/* The announcements' defaults, for both families. */
#define VIP_ANNOUNCE_COUNT 5
#define VIP_ANNOUNCE_INTERVAL_MS 200
/* dad = kernel: what to allow beyond the kernel's own worst case (its random delay, then
 * dad_transmits solicitations retrans_time apart) for netlink and scheduling. */
#define VIP_KERNEL_DAD_SLACK_MS 1000
/* Reads of the addresses after the configured copy is added, each removing the other copies it
 * finds: one more copy added meanwhile is removed, one that something keeps adding fails apply. */
#define VIP_CONVERGE_PASSES 4

static const struct xhafw_option vip_options[] = {
        { "address", XHAFW_OPT_ADDRESS, true, NULL,
          "the virtual IPv4 or IPv6 address with its prefix length, e.g. 10.5.106.7/8 or 2001:db8::7/64" },
        { "interface", XHAFW_OPT_INTERFACE, true, NULL, "the interface that carries it, e.g. eth0" },
        { "label", XHAFW_OPT_STRING, false, NULL,
          "IPv4 address label, at most 15 characters, the interface name or the interface name, ':' and a suffix "
          "(default <interface>:0); IPv6 addresses have none" },
        { "probe", XHAFW_OPT_BOOL, false, "yes",
          "probe for another holder before taking the address (RFC 5227 ARP, RFC 4862 neighbour solicitation)" },
        { "probe_count", XHAFW_OPT_INT, false, "3", "probes sent (1-100)" },
        { "probe_interval", XHAFW_OPT_DURATION, false, "50ms", "time between probes" },
        { "probe_timeout", XHAFW_OPT_DURATION, false, "100ms", "time listening for an answer after the last probe" },
        { "garp_count", XHAFW_OPT_INT, false, "5", "IPv4: gratuitous ARPs sent after taking the address (0-100)" },
        { "garp_interval", XHAFW_OPT_DURATION, false, "200ms",
          "IPv4: time between gratuitous ARPs; the first goes out at once, the rest in the background" },
        { "arp_mode", XHAFW_OPT_STRING, false, "request",
          "IPv4: gratuitous ARP as 'request' or 'reply' (some switches only learn from replies)" },
        { "dad", XHAFW_OPT_STRING, false, NULL,
          "IPv6 duplicate-address detection: 'probe' (default: xhafw's own probe, then the address added "
          "with nodad, never tentative) or 'kernel' (the kernel's DAD, waited for)" },
        { "na_count", XHAFW_OPT_INT, false, NULL,
          "IPv6: unsolicited neighbour advertisements sent after taking the address (0-100, default 5)" },
        { "na_interval", XHAFW_OPT_DURATION, false, NULL,
          "IPv6: time between them (default 200ms); the first goes out at once, the rest in the background" },
        { .name = NULL },
};

/* One step's options, parsed. The strings belong to the core and live as long as the action. */
struct vip {
        const char *address;         /* as configured, for messages */
        int family;                  /* AF_INET or AF_INET6 */
        struct in_addr addr;         /* IPv4 */
        struct in6_addr addr6;       /* IPv6 */
        char host[INET6_ADDRSTRLEN]; /* the address alone, in its usual form, for messages */
        unsigned prefix;
        const char *interface;
        char label[IFNAMSIZ]; /* IPv4 only: IPv6 addresses have no labels */
        bool probe;
        bool kernel_dad; /* IPv6, dad = kernel */
        unsigned probe_count;
        uint64_t probe_interval_ms, probe_timeout_ms;
        /* gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) */
        unsigned announce_count;
        uint64_t announce_interval_ms;
        bool arp_reply;
        bool router; /* IPv6: this node forwards on the interface (the advertisements' R flag) */
        /* Set by apply before every probe: Linux answers ARP for a local address on any interface,
         * and neighbour solicitations on any interface that holds it, so an answer from one of
         * these MACs is this node's own copy (which apply is about to remove), not another host
         * holding the VIP. Whether the address was on this node at apply's first look does not
         * matter: a copy added while the probe runs (a site's script, another tool) is answered
         * for as well. */
        unsigned char own_macs[VIP_MAX_OWN_MACS][ETH_ALEN];
        unsigned n_own_macs;
};

/* What netlink says about the interface. */
struct link_info {
        bool up;      /* administratively up */
        bool running; /* operationally up: carrier, not dormant */
        bool ether;   /* Ethernet-like: ARP and Neighbor Discovery by hand apply */
        unsigned char mac[ETH_ALEN];
};

static void nl_socket_freep(struct nl_sock **p)
{
        if (*p)
                nl_socket_free(*p);
}

static void nl_cache_freep(struct nl_cache **p)
{
        if (*p)
                nl_cache_free(*p);
}

static void rtnl_link_putp(struct rtnl_link **p)
{
        if (*p)
                rtnl_link_put(*p);
}

static void rtnl_addr_putp(struct rtnl_addr **p)
{
        if (*p)
                rtnl_addr_put(*p);
}

static void nl_addr_putp(struct nl_addr **p)
{
        if (*p)
                nl_addr_put(*p);
}

static void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

/* libnl reports its own NLE_* codes; the core speaks negative errno. */
static int nle_to_errno(int nle)
{
        switch (nle < 0 ? -nle : nle) {
        case NLE_NOMEM: return -ENOMEM;
        case NLE_EXIST: return -EEXIST;
        case NLE_NOADDR: return -EADDRNOTAVAIL;
        case NLE_OBJ_NOTFOUND: return -ENOENT;
        case NLE_PERM: return -EPERM;
        case NLE_NODEV: return -ENODEV;
        case NLE_INVAL: return -EINVAL;
        case NLE_BUSY: return -EBUSY;
        case NLE_AGAIN: return -EAGAIN;
        case NLE_OPNOTSUPP: return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
        case NLE_RANGE: return -ERANGE;
        default: return -EIO;
        }
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
        struct timespec ts = { .tv_sec = (time_t) (ns / 1000000000u), .tv_nsec = (long) (ns % 1000000000u) };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void format_mac(const unsigned char mac[ETH_ALEN], char *buf, size_t size)
{
        snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static bool is_v6(const struct vip *v)
{
        return v->family == AF_INET6;
}

/* The address's bytes, as netlink carries them. */
static const void *vip_bytes(const struct vip *v, size_t *ret_len)
{
        if (is_v6(v)) {
                *ret_len = sizeof v->addr6;
                return &v->addr6;
        }
        *ret_len = sizeof v->addr;
        return &v->addr;
}

/* An integer from /proc/sys/net/ipv6/KIND/IFNAME/KEY, of this process's network namespace. */
static int sysctl_read(const char *kind, const char *ifname, const char *key, long long *ret)
{
        char path[128], buf[32], *end;
        _cleanup_(closep) int fd = -1;
        ssize_t n;
        long long value;

        snprintf(path, sizeof path, "/proc/sys/net/ipv6/%s/%s/%s", kind, ifname, key);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = '\0';
        errno = 0;
        value = strtoll(buf, &end, 10);
        if (errno || end == buf)
                return -EIO;
        *ret = value;
        return 0;
}

/* The prefix length after the '/'; 0 (after logging) when it is missing or not from 1 to MAX. */
static unsigned parse_prefix(struct xhafw_step *step, const char *s, const char *slash, unsigned max,
                             const char *example)
{
        char *end;
        long prefix;

        if (!slash) {
                xhafw_log(step, LOG_ERR,
                          "address '%s' lacks a prefix length: write it as %s/%s or whatever the "
                          "network's prefix is, so the kernel gets the right subnet%s",
                          s, s, example, max == 32 ? " and broadcast address" : " and on-link route");
                return 0;
        }
        errno = 0;
        prefix = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || prefix < 1 || prefix > (long) max ||
            !(slash[1] >= '0' && slash[1] <= '9')) {
                xhafw_log(step, LOG_ERR, "address '%s': the prefix length must be a number from 1 to %u", s, max);
                return 0;
        }
        return (unsigned) prefix;
}

/* "a.b.c.d/len": a host address (not the network or broadcast address of its prefix). */
static int parse_address4(struct xhafw_step *step, const char *s, const char *slash, struct vip *v)
{
        uint32_t a, mask;

        v->prefix = parse_prefix(step, s, slash, 32, "24");
        if (v->prefix == 0)
                return -EINVAL;
        a = ntohl(v->addr.s_addr);
        mask = v->prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> v->prefix);
        if (a == 0 || (a >> 24) == 127 || (a >> 28) == 14 || (a >> 28) == 15) {
                xhafw_log(step, LOG_ERR, "address '%s' is not a unicast host address", s);
                return -EINVAL;
        }
        if (v->prefix <= 30 && ((a & ~mask) == 0 || (a & ~mask) == ~mask)) {
                xhafw_log(step, LOG_ERR, "address '%s' is the %s address of its subnet, not a host address", s,
                          (a & ~mask) == 0 ? "network" : "broadcast");
                return -EINVAL;
        }
        return 0;
}

/* "x:y::z/len": a global or unique-local unicast address, not the subnet-router anycast address. */
static int parse_address6(struct xhafw_step *step, const char *s, const char *slash, struct vip *v)
{
        const struct in6_addr *a = &v->addr6;
        const char *why = NULL;
        bool host_zero = true;

        v->prefix = parse_prefix(step, s, slash, 128, "64");
        if (v->prefix == 0)
                return -EINVAL;
        if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a))
                why = "the unspecified or the loopback address";
        else if (IN6_IS_ADDR_MULTICAST(a))
                why = "a multicast address";
        else if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
                why = "an IPv4-mapped or IPv4-compatible address: write the IPv4 address in a step of its own";
        else if (IN6_IS_ADDR_LINKLOCAL(a))
                why = "link-local: valid on one link only, where it names one interface, not a service that moves; "
                      "take a global or unique-local (fd00::/8) address";
        if (why) {
                xhafw_log(step, LOG_ERR, "address '%s' is not a unicast host address: it is %s", s, why);
                return -EINVAL;
        }
        /* RFC 4291 2.6.1: the address with an all-zero interface identifier is the prefix's
         * subnet-router anycast address, which routers on the link answer too (/127 has none,
         * RFC 6164). */
        for (unsigned bit = v->prefix; bit < 128 && host_zero; bit++)
                host_zero = !(a->s6_addr[bit / 8] & (0x80u >> (bit % 8)));
        if (v->prefix <= 126 && host_zero) {
                xhafw_log(step, LOG_ERR,
                          "address '%s' is the subnet-router anycast address of its prefix (all "
                          "interface-identifier bits zero), not a host address",
                          s);
                return -EINVAL;
        }
        return 0;
}

static int parse_address(struct xhafw_step *step, const char *s, struct vip *v)
{
        char host[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t) (slash - s) : strlen(s);
        int r;

        if (len >= sizeof host) {
                xhafw_log(step, LOG_ERR, "address '%s' is not an IPv4 or IPv6 address", s);
                return -EINVAL;
        }
        memcpy(host, s, len);
        host[len] = '\0';
        if (inet_pton(AF_INET6, host, &v->addr6) == 1) {
                v->family = AF_INET6;
                r = parse_address6(step, s, slash, v);
        } else if (inet_pton(AF_INET, host, &v->addr) == 1) {
                v->family = AF_INET;
                r = parse_address4(step, s, slash, v);
        } else {
                xhafw_log(step, LOG_ERR, "address '%s' is not an IPv4 or IPv6 address", s);
                return -EINVAL;
        }
        if (r == 0)
                inet_ntop(v->family, is_v6(v) ? (const void *) &v->addr6 : (const void *) &v->addr, v->host,
                          sizeof v->host);
        return r;
}

/* An IPv4 label is the interface name itself, or the interface name, ':' and a suffix, at most
 * IFNAMSIZ-1 characters. Netlink would store any string, but iproute2 refuses other labels and the
 * alias ioctls (ifconfig eth0:0, xCAT's mgtifname) find an address by this convention only. */
static int check_label(struct xhafw_step *step, const char *label, const char *interface, bool is_default)
{
        size_t n = strlen(interface);

        if (strlen(label) > IFNAMSIZ - 1) {
                if (is_default)
                        xhafw_log(step, LOG_ERR,
                                  "the default label '%s' is longer than %d characters: set 'label' "
                                  "(e.g. label = %s)",
                                  label, IFNAMSIZ - 1, interface);
                else
                        xhafw_log(step, LOG_ERR, "label '%s' is longer than %d characters, the kernel's limit", label,
                                  IFNAMSIZ - 1);
                return -EINVAL;
        }
        if (strncmp(label, interface, n) != 0 || (label[n] != '\0' && label[n] != ':')) {
                xhafw_log(step, LOG_ERR,
                          "label '%s' must be '%s' or start with '%s:' (an IPv4 label names its "
                          "interface), e.g. %s:0",
                          label, interface, interface, interface);
                return -EINVAL;
        }
        for (const char *p = label; *p; p++)
                if (*p <= ' ' || *p == '/' || *p == 0x7f) {
                        xhafw_log(step, LOG_ERR, "label '%s' contains a blank, a control character or '/'", label);
                        return -EINVAL;
                }
        return 0;
}

static int check_range(struct xhafw_step *step, const char *name, long long value, long long min, long long max)
{
        if (value < min || value > max) {
                xhafw_log(step, LOG_ERR, "%s = %lld is out of range: it must be from %lld to %lld", name, value, min,
                          max);
                return -EINVAL;
        }
        return 0;
}

/* The IPv4 options: the label and the gratuitous ARPs; the IPv6 ones set by mistake. */
static int vip_load4(struct xhafw_step *step, struct vip *v)
{
        static const char *const v6_only[] = { "dad", "na_count", "na_interval" };
        const char *label = xhafw_opt_string(step, "label"), *mode;
        long long garp_count = xhafw_opt_int(step, "garp_count");
        int r = 0;

        for (size_t i = 0; i < sizeof v6_only / sizeof v6_only[0]; i++)
                if (xhafw_opt_string(step, v6_only[i])) {
                        xhafw_log(step, LOG_ERR,
                                  "%s applies to IPv6 VIPs only, and %s is IPv4: remove it "
                                  "(garp_count, garp_interval and arp_mode are IPv4's)",
                                  v6_only[i], v->address);
                        r = -EINVAL;
                }
        if (label) {
                if (check_label(step, label, v->interface, false) < 0)
                        r = -EINVAL;
                else
                        memcpy(v->label, label, strlen(label) + 1); /* length checked */
        } else {
                char def[IFNAMSIZ + 4];

                snprintf(def, sizeof def, "%s:0", v->interface);
                if (check_label(step, def, v->interface, true) < 0)
                        r = -EINVAL;
                else
                        memcpy(v->label, def, strlen(def) + 1); /* length checked */
        }
        v->announce_interval_ms = xhafw_opt_duration_ms(step, "garp_interval");
        if (check_range(step, "garp_count", garp_count, 0, VIP_MAX_COUNT) < 0)
                r = -EINVAL;
        if (check_range(step, "garp_interval (ms)", (long long) v->announce_interval_ms, 0, VIP_MAX_INTERVAL_MS) < 0)
                r = -EINVAL;
        v->announce_count = (unsigned) garp_count;

        mode = xhafw_opt_string(step, "arp_mode");
        if (!mode || strcmp(mode, "request") == 0)
                v->arp_reply = false;
        else if (strcmp(mode, "reply") == 0)
                v->arp_reply = true;
        else {
                xhafw_log(step, LOG_ERR, "arp_mode = %s: it must be 'request' or 'reply'", mode);
                r = -EINVAL;
        }
        return r;
}

/* The IPv6 options: DAD and the neighbour advertisements; the IPv4 ones set by mistake. Those
 * have defaults in the schema, so only a value other than the default shows the mistake. */
static int vip_load6(struct xhafw_step *step, struct vip *v)
{
        const char *label = xhafw_opt_string(step, "label"), *dad = xhafw_opt_string(step, "dad");
        const char *mode = xhafw_opt_string(step, "arp_mode");
        long long na_count = xhafw_opt_string(step, "na_count") ? xhafw_opt_int(step, "na_count") : VIP_ANNOUNCE_COUNT;
        int r = 0;

        if (label) {
                xhafw_log(step, LOG_ERR,
                          "label = %s: %s is IPv6, and IPv6 addresses have no labels (the kernel "
                          "keeps none for them): remove 'label'; the step manages the address on %s itself",
                          label, v->address, v->interface);
                r = -EINVAL;
        }
        if (xhafw_opt_int(step, "garp_count") != VIP_ANNOUNCE_COUNT ||
            xhafw_opt_duration_ms(step, "garp_interval") != VIP_ANNOUNCE_INTERVAL_MS ||
            (mode && strcmp(mode, "request"))) {
                xhafw_log(step, LOG_ERR,
                          "garp_count, garp_interval and arp_mode are for IPv4 VIPs (gratuitous ARP), "
                          "and %s is IPv6: it is announced by neighbour advertisements, set na_count and "
                          "na_interval instead",
                          v->address);
                r = -EINVAL;
        }
        if (!dad || strcmp(dad, "probe") == 0)
                v->kernel_dad = false;
        else if (strcmp(dad, "kernel") == 0)
                v->kernel_dad = true;
        else {
                xhafw_log(step, LOG_ERR, "dad = %s: it must be 'probe' or 'kernel'", dad);
                r = -EINVAL;
        }
        if (dad && !v->probe) {
                xhafw_log(step, LOG_ERR,
                          "dad = %s and probe = no contradict each other: probe = no takes the "
                          "address without duplicate-address detection of any kind; remove one",
                          dad);
                r = -EINVAL;
        }
        v->announce_interval_ms = xhafw_opt_string(step, "na_interval") ? xhafw_opt_duration_ms(step, "na_interval") :
                                                                          VIP_ANNOUNCE_INTERVAL_MS;
        if (check_range(step, "na_count", na_count, 0, VIP_MAX_COUNT) < 0)
                r = -EINVAL;
        if (check_range(step, "na_interval (ms)", (long long) v->announce_interval_ms, 0, VIP_MAX_INTERVAL_MS) < 0)
                r = -EINVAL;
        v->announce_count = (unsigned) na_count;
        return r;
}

/* Parses and checks every option; logs each problem. 0 or -EINVAL. */
static int vip_load(struct xhafw_step *step, struct vip *v)
{
        long long probe_count;
        int r = 0;

        memset(v, 0, sizeof *v);
        v->address = xhafw_opt_string(step, "address");
        v->interface = xhafw_opt_string(step, "interface");
        if (!v->address || !v->interface) {
                xhafw_log(step, LOG_ERR, "'address' and 'interface' are required");
                return -EINVAL;
        }
        if (strlen(v->interface) == 0 || strlen(v->interface) > IFNAMSIZ - 1 || strchr(v->interface, ':')) {
                xhafw_log(step, LOG_ERR, "interface '%s' is not an interface name", v->interface);
                return -EINVAL;
        }
        if (parse_address(step, v->address, v) < 0)
                return -EINVAL; /* the rest depends on the family */

        v->probe = xhafw_opt_bool(step, "probe");
        probe_count = xhafw_opt_int(step, "probe_count");
        v->probe_interval_ms = xhafw_opt_duration_ms(step, "probe_interval");
        v->probe_timeout_ms = xhafw_opt_duration_ms(step, "probe_timeout");
        /* Each on its own (no short circuit): the admin sees every mistake at once. */
        if (check_range(step, "probe_count", probe_count, 1, VIP_MAX_COUNT) < 0)
                r = -EINVAL;
        if (check_range(step, "probe_interval (ms)", (long long) v->probe_interval_ms, 0, VIP_MAX_INTERVAL_MS) < 0)
                r = -EINVAL;
        if (check_range(step, "probe_timeout (ms)", (long long) v->probe_timeout_ms, VIP_MIN_PROBE_TIMEOUT_MS,
                        VIP_MAX_INTERVAL_MS) < 0)
                r = -EINVAL;
        v->probe_count = (unsigned) probe_count;
        if ((is_v6(v) ? vip_load6(step, v) : vip_load4(step, v)) < 0)
                r = -EINVAL;
        /* the repeats are background work, which may last 10 min at most: say so at validate, not
         * by sending one announcement at the takeover */
        if (r == 0 && v->announce_count > 1 &&
            (uint64_t) (v->announce_count - 1) * v->announce_interval_ms + 1000 > 600000) {
                xhafw_log(step, LOG_ERR,
                          "%u announcements %" PRIu64 " ms apart would last %" PRIu64 " s, more than "
                          "the 10 minutes the repeats may take: lower the count or the interval",
                          v->announce_count, v->announce_interval_ms,
                          (uint64_t) (v->announce_count - 1) * v->announce_interval_ms / 1000);
                r = -EINVAL;
        }
        return r;
}

static uint64_t probe_window_ms(const struct vip *v)
{
        return (v->probe_count - 1) * v->probe_interval_ms + v->probe_timeout_ms;
}

/* "gratuitous ARP requests", "unsolicited neighbour advertisement", ... for N of them. */
static const char *announcement_noun(const struct vip *v, unsigned n)
{
        if (is_v6(v))
                return n == 1 ? "unsolicited neighbour advertisement" : "unsolicited neighbour advertisements";
        if (v->arp_reply)
                return n == 1 ? "gratuitous ARP reply" : "gratuitous ARP replies";
        return n == 1 ? "gratuitous ARP request" : "gratuitous ARP requests";
}

static int nl_open(struct xhafw_step *step, struct nl_sock **ret)
{
        struct nl_sock *sk = nl_socket_alloc();
        int r;

        if (!sk)
                return -ENOMEM;
        r = nl_connect(sk, NETLINK_ROUTE);
        if (r < 0) {
                log_step(step, LOG_ERR, "cannot open a route netlink socket: %s", nl_geterror(r));
                nl_socket_free(sk);
                return nle_to_errno(r);
        }
        *ret = sk;
        return 0;
}

static int link_query(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex,
                      struct link_info *ret)
{
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
        struct link_info info = { 0 };
        struct nl_addr *mac;
        unsigned flags;
        int r;

        r = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read interface %s over netlink: %s", v->interface, nl_geterror(r));
                return nle_to_errno(r);
        }
        flags = rtnl_link_get_flags(link);
        info.up = flags & IFF_UP;
        info.running = flags & IFF_RUNNING;
        mac = rtnl_link_get_addr(link);
        if (rtnl_link_get_arptype(link) == ARPHRD_ETHER && mac && nl_addr_get_len(mac) == ETH_ALEN) {
                info.ether = true;
                memcpy(info.mac, nl_addr_get_binary_addr(mac), ETH_ALEN);
        }
        *ret = info;
        return 0;
}

/* One of this node's copies of the VIP's address: the same family and address, whatever the
 * prefix length, interface, label or state. */
static bool addr_is_vip(const struct vip *v, struct rtnl_addr *a)
{
        struct nl_addr *local = rtnl_addr_get_local(a);
        size_t len;
        const void *bytes = vip_bytes(v, &len);

        return rtnl_addr_get_family(a) == v->family && local && nl_addr_get_len(local) == len &&
               memcmp(nl_addr_get_binary_addr(local), bytes, len) == 0;
}

/* An IPv6 copy the kernel is still checking (tentative) or found in use elsewhere (dadfailed): it
 * answers nobody, and is not the VIP held, though it is a copy to remove. */
static bool addr_unusable(struct rtnl_addr *a)
{
        return rtnl_addr_get_family(a) == AF_INET6 && (rtnl_addr_get_flags(a) & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

/* The copy in exactly the configured form: on the interface, with the prefix length, and the
 * label (IPv4) or usable (IPv6). */
static bool addr_is_configured(const struct vip *v, int ifindex, struct rtnl_addr *a)
{
        const char *label = rtnl_addr_get_label(a);

        if (ifindex <= 0 || !addr_is_vip(v, a) || rtnl_addr_get_ifindex(a) != ifindex ||
            rtnl_addr_get_prefixlen(a) != (int) v->prefix)
                return false;
        if (is_v6(v))
                return !addr_unusable(a);
        return label && strcmp(label, v->label) == 0;
}

/* "192.0.2.100/16 on eth0 as eth0", "2001:db8::100/128 from eth0 (tentative)", for messages. */
static void copy_text(struct rtnl_addr *a, const char *prep, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN] = "?", ifname[IF_NAMESIZE + 16];
        struct nl_addr *local = rtnl_addr_get_local(a);
        const char *label = rtnl_addr_get_label(a), *state = "";
        int family = rtnl_addr_get_family(a), ifindex = rtnl_addr_get_ifindex(a);
        unsigned flags = rtnl_addr_get_flags(a);

        if (local && (family == AF_INET || family == AF_INET6))
                inet_ntop(family, nl_addr_get_binary_addr(local), addr, sizeof addr);
        if (ifindex <= 0 || !if_indextoname((unsigned) ifindex, ifname))
                snprintf(ifname, sizeof ifname, "interface #%d", ifindex);
        if (family == AF_INET6) {
                label = NULL;
                state = flags & IFA_F_DADFAILED ? " (dadfailed)" : flags & IFA_F_TENTATIVE ? " (tentative)" : "";
        }
        snprintf(buf, size, "%s/%d %s %s%s%s%s", addr, rtnl_addr_get_prefixlen(a), prep, ifname, label ? " as " : "",
                 label ? label : "", state);
}

/* Where the VIP's address stands on this node. The address in any form is the VIP: the node
 * answers for it and takes its traffic, so each copy counts, wherever it is. */
struct vip_scan {
        struct nl_cache *cache;       /* the node's addresses; the pointers below point into it */
        unsigned copies;              /* copies of the address, in any form, on any interface */
        struct rtnl_addr *configured; /* the copy in the configured form, or NULL */
        struct rtnl_addr *in_the_way; /* a copy that keeps the configured one from being added: IPv4 holds
                                         * one address per interface, address and prefix length (so: another
                                         * label), IPv6 one per interface and address (so: another prefix
                                         * length, or tentative, or dadfailed) */
};

static void vip_scan_done(struct vip_scan *s)
{
        if (s->cache)
                nl_cache_free(s->cache);
        s->cache = NULL;
}

/* Where the VIP stands among the addresses in s->cache (the rest of *s is set from it). Apart from
 * reading them (vip_scan), so that the logic suite can hand it any set of addresses. ifindex 0: the
 * configured interface does not exist, so no copy is in the configured form. */
static void vip_scan_classify(const struct vip *v, int ifindex, struct vip_scan *s)
{
        s->copies = 0;
        s->configured = s->in_the_way = NULL;
        for (struct nl_object *o = nl_cache_get_first(s->cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;

                if (!addr_is_vip(v, a))
                        continue;
                s->copies++;
                if (addr_is_configured(v, ifindex, a))
                        s->configured = a;
                else if (ifindex > 0 && rtnl_addr_get_ifindex(a) == ifindex &&
                         (is_v6(v) || rtnl_addr_get_prefixlen(a) == (int) v->prefix))
                        s->in_the_way = a;
        }
}

static int vip_scan(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex, struct vip_scan *ret)
{
        struct vip_scan s = { 0 };
        int r;

        r = rtnl_addr_alloc_cache(sk, &s.cache);
        if (r < 0) {
                log_step(step, LOG_ERR, "cannot read the addresses over netlink: %s", nl_geterror(r));
                return nle_to_errno(r);
        }
        vip_scan_classify(v, ifindex, &s);
        *ret = s;
        return 0;
}

/* Whether the copy A was among the addresses of BEFORE (an earlier look): the same address on the
 * same interface with the same prefix length and label. The kernel's objects of two reads are not
 * the same objects, so they are compared by what names an address; its state (tentative, say) may
 * have changed since and does not count. */
static bool copy_seen(struct nl_cache *before, struct rtnl_addr *a)
{
        struct nl_addr *local = rtnl_addr_get_local(a);
        const char *label = rtnl_addr_get_label(a);

        for (struct nl_object *o = before ? nl_cache_get_first(before) : NULL; o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *b = (struct rtnl_addr *) o;
                struct nl_addr *bl = rtnl_addr_get_local(b);
                const char *blabel = rtnl_addr_get_label(b);

                if (rtnl_addr_get_family(b) == rtnl_addr_get_family(a) &&
                    rtnl_addr_get_ifindex(b) == rtnl_addr_get_ifindex(a) &&
                    rtnl_addr_get_prefixlen(b) == rtnl_addr_get_prefixlen(a) && local && bl &&
                    nl_addr_get_len(local) == nl_addr_get_len(bl) &&
                    memcmp(nl_addr_get_binary_addr(local), nl_addr_get_binary_addr(bl), nl_addr_get_len(bl)) == 0 &&
                    (rtnl_addr_get_family(a) == AF_INET6 || (!label && !blabel) ||
                     (label && blabel && strcmp(label, blabel) == 0)))
                        return true;
        }
        return false;
}

/* Removes one copy: the kernel's own object, whose address, prefix length and label select exactly it. */
static int copy_remove(struct xhafw_step *step, struct nl_sock *sk, struct rtnl_addr *a, const char *why)
{
        char what[128];
        int r;

        copy_text(a, "from", what, sizeof what);
        r = rtnl_addr_delete(sk, a, 0);
        if (r < 0 && r != -NLE_NOADDR && r != -NLE_OBJ_NOTFOUND) {
                xhafw_log(step, LOG_ERR, "cannot remove %s: %s", what, nl_geterror(r));
                return nle_to_errno(r);
        }
        xhafw_log(step, LOG_NOTICE, "removed %s%s", what, why);
        return 0;
}

static bool own_mac(const struct vip *v, const unsigned char mac[ETH_ALEN])
{
        for (unsigned i = 0; i < v->n_own_macs; i++)
                if (memcmp(v->own_macs[i], mac, ETH_ALEN) == 0)
                        return true;
        return false;
}

/* Fills v->own_macs with the MACs of this node's interfaces. */
static int own_macs_load(struct xhafw_step *step, struct nl_sock *sk, struct vip *v)
{
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        int r;

        v->n_own_macs = 0;
        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read the interfaces over netlink: %s", nl_geterror(r));
                return nle_to_errno(r);
        }
        for (struct nl_object *o = nl_cache_get_first(cache); o && v->n_own_macs < VIP_MAX_OWN_MACS;
             o = nl_cache_get_next(o)) {
                struct nl_addr *a = rtnl_link_get_addr((struct rtnl_link *) o);

                if (a && nl_addr_get_len(a) == ETH_ALEN)
                        memcpy(v->own_macs[v->n_own_macs++], nl_addr_get_binary_addr(a), ETH_ALEN);
        }
        return 0;
}

/* A packet socket for ARP on one interface, bound before the first probe goes out so that no
 * answer can slip past. */
static int arp_socket(struct xhafw_step *step, const struct vip *v, int ifindex)
{
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
        };
        int fd;

        /* Protocol 0 here and ETH_P_ARP at bind: a socket created with a protocol is hooked at once,
         * and bind would unhook it again, waiting for an RCU grace period (10-20 ms) in the kernel. */
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                int r = -errno;
                xhafw_log(step, LOG_ERR, "cannot open an ARP socket on %s: %s (it needs CAP_NET_RAW)", v->interface,
                          strerror(-r));
                return r;
        }
        if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
                int r = -errno;
                xhafw_log(step, LOG_ERR, "cannot bind an ARP socket to %s: %s", v->interface, strerror(-r));
                close(fd);
                return r;
        }
        return fd;
}

/* A packet socket for Neighbor Discovery on one interface: solicitations and advertisements only
 * (a filter in the kernel, attached before the socket is hooked, so nothing else is ever queued),
 * and a member of the VIP's solicited-node group, where another host's probe for it goes. */
static int nd_socket(struct xhafw_step *step, const struct vip *v, int ifindex)
{
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_IPV6),
                .sll_ifindex = ifindex,
        };
        struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_MULTICAST, .mr_alen = ETH_ALEN };
        const char *what;
        int fd, r;

        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot open a packet socket on %s: %s (it needs CAP_NET_RAW)", v->interface,
                          strerror(-r));
                return r;
        }
        nd_solicited_node(&v->addr6, NULL, mr.mr_address);
        if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &nd_filter, sizeof nd_filter) < 0)
                what = "attach the neighbour discovery filter to";
        else if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
                what = "join the solicited-node group on";
        else if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0)
                what = "bind a packet socket to";
        else
                return fd;
        r = -errno;
        xhafw_log(step, LOG_ERR, "cannot %s %s: %s", what, v->interface, strerror(-r));
        close(fd);
        return r;
}

/* The packet socket's membership only opens this node's own filter. A switch that snoops MLD
 * forwards the solicited-node group's traffic (another host's probe for the VIP) only to ports
 * that joined it at the IPv6 level, as the kernel does before its own DAD: so the probe joins it
 * too, for as long as it listens (the socket's close leaves it, unless the address itself then
 * holds the group). -errno when it cannot, which only weakens the probe: the caller goes on. */
static int nd_join_group(struct xhafw_step *step, const struct vip *v, int ifindex)
{
        struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned) ifindex };
        int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

        nd_solicited_node(&v->addr6, &mr.ipv6mr_multiaddr, NULL);
        if (fd >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) == 0)
                return fd;
        r = -errno;
        xhafw_log(step, LOG_WARNING,
                  "cannot join the solicited-node group of %s on %s: %s; a switch that snoops "
                  "MLD may not pass another host's probe for it, ignoring",
                  v->host, v->interface, strerror(-r));
        if (fd >= 0)
                close(fd);
        return r;
}

/* Sends one ARP packet as an Ethernet broadcast. sender_ip NULL means 0.0.0.0 (a probe). */
static int arp_send(int fd, int ifindex, unsigned short op, const unsigned char mac[ETH_ALEN],
                    const struct in_addr *sender_ip, const unsigned char target_mac[ETH_ALEN],
                    const struct in_addr *target_ip)
{
        struct ether_arp pkt = { 0 };
        struct sockaddr_ll to = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };

        pkt.arp_hrd = htons(ARPHRD_ETHER);
        pkt.arp_pro = htons(ETHERTYPE_IP);
        pkt.arp_hln = ETH_ALEN;
        pkt.arp_pln = sizeof(struct in_addr);
        pkt.arp_op = htons(op);
        memcpy(pkt.arp_sha, mac, ETH_ALEN);
        if (sender_ip)
                memcpy(pkt.arp_spa, sender_ip, sizeof *sender_ip);
        if (target_mac)
                memcpy(pkt.arp_tha, target_mac, ETH_ALEN);
        memcpy(pkt.arp_tpa, target_ip, sizeof *target_ip);
        if (sendto(fd, &pkt, sizeof pkt, 0, (const struct sockaddr *) &to, sizeof to) < 0)
                return -errno;
        return 0;
}

/* Sends one IPv6 packet built by nd.c to an Ethernet multicast address. */
static int nd_send(int fd, int ifindex, const unsigned char *pkt, size_t len, const unsigned char dst[ETH_ALEN])
{
        struct sockaddr_ll to = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_IPV6),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
        };

        memcpy(to.sll_addr, dst, ETH_ALEN);
        if (sendto(fd, pkt, len, 0, (const struct sockaddr *) &to, sizeof to) < 0)
                return -errno;
        return 0;
}

/* One probe: an ARP request from 0.0.0.0 (RFC 5227 2.1.1), or a Neighbor Solicitation from ::
 * to the address's solicited-node group (RFC 4862 5.4.2). */
static int probe_send(int fd, int ifindex, const struct vip *v, const unsigned char mac[ETH_ALEN])
{
        unsigned char pkt[ND_PROBE_LEN], dst[ETH_ALEN];

        if (!is_v6(v))
                return arp_send(fd, ifindex, ARPOP_REQUEST, mac, NULL, NULL, &v->addr);
        return nd_send(fd, ifindex, pkt, nd_build_probe(&v->addr6, pkt, dst), dst);
}

/* One announcement. A gratuitous ARP: sender and target address both the VIP; a reply also
 * carries our MAC as the target hardware address, which Linux requires before it treats a reply
 * as gratuitous. An unsolicited neighbour advertisement: from the VIP to all nodes, override set,
 * our MAC as the target link-layer address. */
static int announce_send(int fd, int ifindex, const struct vip *v, const unsigned char mac[ETH_ALEN])
{
        unsigned char pkt[ND_NA_LEN], dst[ETH_ALEN];

        if (is_v6(v))
                return nd_send(fd, ifindex, pkt, nd_build_na(&v->addr6, mac, v->router, pkt, dst), dst);
        if (v->arp_reply)
                return arp_send(fd, ifindex, ARPOP_REPLY, mac, &v->addr, mac, &v->addr);
        return arp_send(fd, ifindex, ARPOP_REQUEST, mac, &v->addr, NULL, &v->addr);
}

/* Reads what is queued; true (and the MAC) when a packet shows another host using or probing the address. */
static bool arp_conflict_pending(int fd, const struct vip *v, const unsigned char mac[ETH_ALEN],
                                 unsigned char ret_mac[ETH_ALEN], bool *ret_probe)
{
        for (unsigned i = 0; i < 1024; i++) {
                struct ether_arp pkt;
                struct sockaddr_ll from;
                socklen_t fromlen = sizeof from;
                ssize_t n = recvfrom(fd, &pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *) &from, &fromlen);
                static const unsigned char zero[4];

                if (n < 0)
                        return false;
                if ((size_t) n < sizeof pkt || from.sll_pkttype == PACKET_OUTGOING ||
                    ntohs(pkt.arp_hrd) != ARPHRD_ETHER || ntohs(pkt.arp_pro) != ETHERTYPE_IP ||
                    pkt.arp_hln != ETH_ALEN || pkt.arp_pln != 4 || memcmp(pkt.arp_sha, mac, ETH_ALEN) == 0 ||
                    own_mac(v, pkt.arp_sha))
                        continue;
                /* RFC 5227 2.1.1: any ARP with the address as sender is its owner speaking; a request
                 * from 0.0.0.0 for it is another host probing for it at the same time. */
                if (memcmp(pkt.arp_spa, &v->addr, 4) == 0 ||
                    (ntohs(pkt.arp_op) == ARPOP_REQUEST && memcmp(pkt.arp_spa, zero, 4) == 0 &&
                     memcmp(pkt.arp_tpa, &v->addr, 4) == 0)) {
                        memcpy(ret_mac, pkt.arp_sha, ETH_ALEN);
                        *ret_probe = memcmp(pkt.arp_spa, zero, 4) == 0;
                        return true;
                }
        }
        return false;
}

/* The same for Neighbor Discovery: an advertisement of the address, a solicitation from it, or
 * another host's probe for it (RFC 4862 5.4.3, 5.4.4), from a MAC that is not this node's. The
 * MAC named is the one the message gives for the address (the advertisement's target link-layer
 * address), else the frame's sender. */
static bool nd_conflict_pending(int fd, const struct vip *v, const unsigned char mac[ETH_ALEN],
                                unsigned char ret_mac[ETH_ALEN], bool *ret_probe)
{
        for (unsigned i = 0; i < 1024; i++) {
                unsigned char pkt[2048], named[ETH_ALEN];
                struct sockaddr_ll from;
                socklen_t fromlen = sizeof from;
                ssize_t n = recvfrom(fd, pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *) &from, &fromlen);
                enum nd_seen seen;
                bool has_mac;

                if (n < 0)
                        return false;
                if (from.sll_pkttype == PACKET_OUTGOING || from.sll_halen != ETH_ALEN ||
                    memcmp(from.sll_addr, mac, ETH_ALEN) == 0 || own_mac(v, from.sll_addr))
                        continue;
                seen = nd_classify(pkt, (size_t) n, &v->addr6, named, &has_mac);
                if (seen == ND_NOTHING || (has_mac && (memcmp(named, mac, ETH_ALEN) == 0 || own_mac(v, named))))
                        continue;
                memcpy(ret_mac, has_mac ? named : from.sll_addr, ETH_ALEN);
                *ret_probe = seen == ND_PROBED;
                return true;
        }
        return false;
}

static bool conflict_pending(int fd, const struct vip *v, const unsigned char mac[ETH_ALEN],
                             unsigned char ret_mac[ETH_ALEN], bool *ret_probe)
{
        return is_v6(v) ? nd_conflict_pending(fd, v, mac, ret_mac, ret_probe) :
                          arp_conflict_pending(fd, v, mac, ret_mac, ret_probe);
}

/* The announcements after the first go on after apply returns, so that the steps after this one
 * do not wait for them: background work the core supervises (xhafw_background: bounded, ended
 * with the run, never detached). Each goes out only while the configured copy is still on the
 * interface (and, for IPv6, usable): a rollback that removed it must not be contradicted. */
struct announce_work {
        int fd, ifindex;
        struct vip v;
        unsigned char mac[ETH_ALEN];
};

static void announce_repeat(void *arg)
{
        const struct announce_work *w = arg;

        for (unsigned i = 1; i < w->v.announce_count; i++) {
                _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
                _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };

                sleep_ns(w->v.announce_interval_ms * 1000000u);
                if (nl_open(NULL, &sk) < 0 || vip_scan(NULL, sk, &w->v, w->ifindex, &scan) < 0 || !scan.configured)
                        return;
                if (announce_send(w->fd, w->ifindex, &w->v, w->mac) < 0)
                        return;
        }
}

static void announce_start(struct xhafw_step *step, int fd, int ifindex, const struct vip *v,
                           const unsigned char mac[ETH_ALEN])
{
        struct announce_work w = { .fd = fd, .ifindex = ifindex, .v = *v };
        /* the announcements' own length, and a second for netlink and scheduling */
        uint64_t bound = (uint64_t) (v->announce_count - 1) * v->announce_interval_ms + 1000;
        int r;

        memcpy(w.mac, mac, ETH_ALEN);
        r = xhafw_background(step, announcement_noun(v, 2), bound, announce_repeat, &w);
        if (r < 0)
                xhafw_log(step, LOG_WARNING,
                          "cannot send the %s after the first: %s; clients may keep the old MAC "
                          "until their %s entries expire",
                          announcement_noun(v, 2), strerror(-r), is_v6(v) ? "neighbour" : "ARP");
}

/* The probe: probe_count probes, probe_interval apart, then probe_timeout of listening. 0 when
 * nobody answered (*ret_window_end_ns: when the window closed), 1 with the answering MAC on a
 * conflict, or -errno. */
static int run_probe(struct xhafw_step *step, int fd, int ifindex, const struct vip *v,
                     const unsigned char mac[ETH_ALEN], unsigned char ret_mac[ETH_ALEN], bool *ret_probe,
                     uint64_t *ret_window_end_ns)
{
        const char *kind = is_v6(v) ? "neighbour solicitation" : "ARP probe";
        uint64_t next = now_ns(), end = 0;
        unsigned sent = 0;

        /* Bounded: each pass sends a probe, sleeps towards a deadline or reads an answer. */
        for (unsigned pass = 0; pass < 100000; pass++) {
                uint64_t now = now_ns(), wake;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                struct timespec ts;
                int r;

                if (sent < v->probe_count && now >= next) {
                        r = probe_send(fd, ifindex, v, mac);
                        if (r < 0) {
                                xhafw_log(step, LOG_ERR, "cannot send a %s on %s: %s", kind, v->interface,
                                          strerror(-r));
                                return r;
                        }
                        sent++;
                        next += v->probe_interval_ms * 1000000u;
                        if (sent == v->probe_count)
                                end = now + v->probe_timeout_ms * 1000000u;
                        /* Answers queue on the socket meanwhile; none is lost. */
                        continue;
                }
                if (sent == v->probe_count && now >= end) {
                        /* Whatever arrived at the last moment still counts. */
                        if (conflict_pending(fd, v, mac, ret_mac, ret_probe))
                                return 1;
                        *ret_window_end_ns = end;
                        return 0;
                }
                wake = sent < v->probe_count ? next : end;
                ts.tv_sec = (time_t) ((wake - now) / 1000000000u);
                ts.tv_nsec = (long) ((wake - now) % 1000000000u);
                r = ppoll(&pfd, 1, &ts, NULL);
                if (r < 0 && errno != EINTR) {
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot listen for answers to the %ss on %s: %s", kind, v->interface,
                                  strerror(-r));
                        return r;
                }
                if (r > 0 && conflict_pending(fd, v, mac, ret_mac, ret_probe))
                        return 1;
        }
        return -ETIME;
}

/* nodad (IPv6): the address is usable at once, never tentative; the kernel runs no DAD of its own. */
static int addr_add(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex, bool nodad)
{
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
        size_t len;
        const void *bytes = vip_bytes(v, &len);
        _cleanup_(nl_addr_putp) struct nl_addr *local = nl_addr_build(v->family, bytes, len);
        _cleanup_(nl_addr_putp) struct nl_addr *brd = NULL;
        int r;

        if (!a || !local)
                return -ENOMEM;
        nl_addr_set_prefixlen(local, (int) v->prefix);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, v->family);
        r = rtnl_addr_set_local(a, local);
        if (r >= 0 && is_v6(v)) {
                if (nodad)
                        rtnl_addr_set_flags(a, IFA_F_NODAD);
        } else if (r >= 0) {
                r = rtnl_addr_set_label(a, v->label);
                /* Without a broadcast address the kernel would not answer subnet broadcasts on the VIP
                 * (ip addr add sets none either unless told "brd +"); /31 and /32 have none. */
                if (r >= 0 && v->prefix <= 30) {
                        uint32_t b = htonl(ntohl(v->addr.s_addr) | (0xffffffffu >> v->prefix));

                        brd = nl_addr_build(AF_INET, &b, sizeof b);
                        if (!brd)
                                return -ENOMEM;
                        r = rtnl_addr_set_broadcast(a, brd);
                }
        }
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot build the netlink request for %s: %s", v->address, nl_geterror(r));
                return nle_to_errno(r);
        }
        /* NLM_F_EXCL: an address that is already there is reported, not silently replaced; apply
         * treats it as done (idempotent) and the read-back decides. */
        r = rtnl_addr_add(sk, a, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0 && r != -NLE_EXIST) {
                xhafw_log(step, LOG_ERR, "cannot add %s to %s%s%s: %s", v->address, v->interface,
                          is_v6(v) ? "" : " as ", is_v6(v) ? "" : v->label, nl_geterror(r));
                return nle_to_errno(r);
        }
        return 0;
}

/* IPv6 must be on for the interface, or adding the address fails (EACCES) after the probe ran. */
static int ipv6_check_interface(struct xhafw_step *step, const struct vip *v)
{
        long long disabled = 0;
        int r = sysctl_read("conf", v->interface, "disable_ipv6", &disabled);

        if (r == -ENOENT) {
                xhafw_log(step, LOG_ERR,
                          "IPv6 is not available on %s (no /proc/sys/net/ipv6/conf/%s: a kernel "
                          "without IPv6, or booted with ipv6.disable=1): cannot take %s",
                          v->interface, v->interface, v->address);
                return -EAFNOSUPPORT;
        }
        if (r == 0 && disabled) {
                xhafw_log(step, LOG_ERR,
                          "IPv6 is disabled on %s (net.ipv6.conf.%s.disable_ipv6 = %lld): cannot take "
                          "%s; enable it first (sysctl -w net.ipv6.conf.%s.disable_ipv6=0)",
                          v->interface, v->interface, disabled, v->address, v->interface);
                return -EAFNOSUPPORT;
        }
        return 0;
}

/* dad = kernel: the kernel runs DAD only when accept_dad is at least 1 on "all" or the interface and
 * dad_transmits is at least 1; it waits a random time up to router_solicitation_delay, then sends
 * dad_transmits solicitations retrans_time_ms apart. The bound of the wait, or -errno (logged) when
 * the kernel would not check at all. */
static int kernel_dad_bound(struct xhafw_step *step, const struct vip *v, uint64_t *ret_ms)
{
        long long all = 0, dev = 0, transmits = 1, delay_s = 1, retrans_ms = 1000;

        (void) sysctl_read("conf", "all", "accept_dad", &all);
        (void) sysctl_read("conf", v->interface, "accept_dad", &dev);
        (void) sysctl_read("conf", v->interface, "dad_transmits", &transmits);
        (void) sysctl_read("conf", v->interface, "router_solicitation_delay", &delay_s);
        (void) sysctl_read("neigh", v->interface, "retrans_time_ms", &retrans_ms);
        if ((all < 1 && dev < 1) || transmits < 1) {
                xhafw_log(step, LOG_ERR,
                          "dad = kernel, but the kernel runs no duplicate-address detection on %s "
                          "(net.ipv6.conf.all.accept_dad = %lld, net.ipv6.conf.%s.accept_dad = %lld, dad_transmits = "
                          "%lld): it would take %s unchecked; set dad = probe (the default) or accept_dad = 1",
                          v->interface, all, v->interface, dev, transmits, v->address);
                return -EOPNOTSUPP;
        }
        if (delay_s < 0 || delay_s > 60)
                delay_s = 60;
        if (retrans_ms < 0 || retrans_ms > 60000)
                retrans_ms = 60000;
        if (transmits > 100)
                transmits = 100;
        *ret_ms = (uint64_t) (delay_s * 1000 + transmits * retrans_ms + VIP_KERNEL_DAD_SLACK_MS);
        return 0;
}

/* Waits until the kernel's DAD of the copy just added on the interface ends: 0 when it left
 * tentative, 1 when it failed (dadfailed), -ETIMEDOUT, -EADDRNOTAVAIL when the copy vanished, or
 * -errno. EVENTS is subscribed to the IPv6 address notifications: each one wakes the wait, which
 * then reads the addresses again (a notification lost to a full socket buffer only delays it). */
static int kernel_dad_wait(struct xhafw_step *step, struct nl_sock *sk, struct nl_sock *events, const struct vip *v,
                           int ifindex, uint64_t bound_ms)
{
        uint64_t deadline = now_ns() + bound_ms * 1000000u;
        int efd = nl_socket_get_fd(events);

        for (unsigned pass = 0; pass < 100000; pass++) {
                _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
                struct rtnl_addr *ours = NULL;
                struct pollfd pfd = { .fd = efd, .events = POLLIN };
                uint64_t now;
                char buf[8192];
                int r;

                r = vip_scan(step, sk, v, ifindex, &scan);
                if (r < 0)
                        return r;
                ours = scan.configured ? scan.configured : scan.in_the_way;
                if (!ours || rtnl_addr_get_prefixlen(ours) != (int) v->prefix)
                        return -EADDRNOTAVAIL;
                if (rtnl_addr_get_flags(ours) & IFA_F_DADFAILED)
                        return 1;
                if (!(rtnl_addr_get_flags(ours) & IFA_F_TENTATIVE))
                        return 0;
                now = now_ns();
                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int) ((deadline - now) / 1000000u) + 1);
                if (r < 0 && errno != EINTR) {
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot wait for netlink notifications: %s", strerror(-r));
                        return r;
                }
                for (unsigned i = 0; i < 1024 && recv(efd, buf, sizeof buf, MSG_DONTWAIT) > 0; i++)
                        ;
        }
        return -ETIMEDOUT;
}

static int nl_open_events(struct xhafw_step *step, struct nl_sock **ret)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int r;

        r = nl_open(step, &sk);
        if (r < 0)
                return r;
        nl_socket_disable_seq_check(sk);
        r = nl_socket_add_membership(sk, RTNLGRP_IPV6_IFADDR);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot subscribe to IPv6 address notifications: %s", nl_geterror(r));
                return nle_to_errno(r);
        }
        *ret = sk;
        sk = NULL;
        return 0;
}

/* validate checks the configuration only: whether the interface exists is the machine's state,
 * which changes (a NIC unplugged, a bond or VLAN deleted). Refusing the configuration for it
 * would refuse deactivate and status too (exit 2), and giving the role up must always work:
 * apply finds the interface missing and fails, check and revert find the VIP not on it. */
static int vip_validate(struct xhafw_step *step)
{
        struct vip v;

        return vip_load(step, &v);
}

static int vip_describe(struct xhafw_step *step, FILE *out)
{
        struct vip v;
        int r = vip_load(step, &v);

        if (r < 0)
                return r;
        if (is_v6(&v))
                fprintf(out, "VIP %s on %s (IPv6: no label); ", v.address, v.interface);
        else
                fprintf(out, "VIP %s on %s as %s; ", v.address, v.interface, v.label);
        if (!v.probe)
                fprintf(out, "no probe%s", is_v6(&v) ? ", added with nodad" : "");
        else if (is_v6(&v) && v.kernel_dad)
                fprintf(out, "the kernel's DAD, waited for");
        else
                fprintf(out, "probe %u×%" PRIu64 "ms%s", v.probe_count, v.probe_interval_ms,
                        is_v6(&v) ? ", then added with nodad" : "");
        if (is_v6(&v))
                fprintf(out, "; %u %s\n", v.announce_count, announcement_noun(&v, v.announce_count));
        else /* the established wording: "5 gratuitous ARPs", "1 gratuitous ARP reply" */
                fprintf(out, "; %u gratuitous ARP%s%s\n", v.announce_count, v.arp_reply ? " repl" : "",
                        v.arp_reply ? (v.announce_count == 1 ? "y" : "ies") : (v.announce_count == 1 ? "" : "s"));
        return 0;
}

static int vip_check(struct xhafw_step *step)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        struct link_info link;
        struct vip v;
        int ifindex, r;

        r = vip_load(step, &v);
        if (r < 0)
                return r;
        ifindex = (int) if_nametoindex(v.interface);
        if (ifindex == 0)
                xhafw_log(step, LOG_INFO, "interface %s does not exist on this host: %s is not held on it", v.interface,
                          v.host);
        r = nl_open(step, &sk);
        if (r < 0)
                return r;
        r = vip_scan(step, sk, &v, ifindex, &scan);
        if (r < 0)
                return r;
        if (scan.copies == 0)
                return XHAFW_INACTIVE;
        /* Any other copy is the VIP held here too: this node answers for it, so it is not INACTIVE,
         * and it is not ACTIVE until apply has left the configured copy alone. A tentative or
         * dadfailed IPv6 copy answers nobody yet, but it is left on the node, so it is not INACTIVE. */
        for (struct nl_object *o = nl_cache_get_first(scan.cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                char what[128];

                if (!addr_is_vip(&v, a) || a == scan.configured)
                        continue;
                copy_text(a, "on", what, sizeof what);
                if (is_v6(&v))
                        xhafw_log(step, LOG_INFO, "%s is the VIP in another form than configured (%s on %s)", what,
                                  v.address, v.interface);
                else
                        xhafw_log(step, LOG_INFO, "%s is the VIP in another form than configured (%s on %s as %s)",
                                  what, v.address, v.interface, v.label);
        }
        if (!scan.configured || scan.copies > 1)
                return XHAFW_PARTIAL;
        r = link_query(step, sk, &v, ifindex, &link);
        if (r < 0)
                return r;
        if (!link.up || !link.running) {
                xhafw_log(step, LOG_INFO, "%s is on %s, but %s is %s", v.address, v.interface, v.interface,
                          link.up ? "without carrier" : "down");
                return XHAFW_PARTIAL;
        }
        return XHAFW_ACTIVE;
}

/* Finds the local interface with this MAC, if any: Linux answers for a local address on another
 * interface too (ARP on any, Neighbor Discovery on the one that holds it), so the "other" owner may
 * be this host itself (the VIP left on another interface on the same segment), which calls for
 * another remedy. */
static bool local_mac_owner(struct nl_sock *sk, const unsigned char mac[ETH_ALEN], char ret_name[IFNAMSIZ])
{
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;

        if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
                return false;
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *link = (struct rtnl_link *) o;
                struct nl_addr *a = rtnl_link_get_addr(link);
                const char *name = rtnl_link_get_name(link);

                if (a && name && nl_addr_get_len(a) == ETH_ALEN &&
                    memcmp(nl_addr_get_binary_addr(a), mac, ETH_ALEN) == 0 && strlen(name) < IFNAMSIZ) {
                        memcpy(ret_name, name, strlen(name) + 1);
                        return true;
                }
        }
        return false;
}

/* mac NULL: the kernel's DAD failed, and no packet named the other host. */
static void log_conflict(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v,
                         const unsigned char mac[ETH_ALEN], bool probe, bool by_kernel)
{
        const char *how = by_kernel ? " (the kernel's duplicate-address detection failed: dadfailed; the address "
                                      "was removed again)" :
                                      "";
        char m[18], local[IFNAMSIZ];

        if (!mac) {
                xhafw_log(step, LOG_ERR,
                          "%s is in use on %s%s, by a host whose MAC was not seen: is the other "
                          "management node still active? deactivate it or cut it off the network; --force overrides",
                          v->host, v->interface, how);
                return;
        }
        format_mac(mac, m, sizeof m);
        if (local_mac_owner(sk, mac, local))
                xhafw_log(step, LOG_ERR,
                          "%s %s %s, this host's own %s, on %s%s: remove the address from %s (or "
                          "from whatever answers through it); --force overrides",
                          v->host, probe ? "is being probed for by" : "is in use by", m, local, v->interface, how,
                          local);
        else
                xhafw_log(step, LOG_ERR,
                          "%s %s %s on %s%s: is the other management node still active? deactivate "
                          "it or cut it off the network; --force overrides",
                          v->host, probe ? "is being probed for by" : "is in use by", m, v->interface, how);
}

/* dad = kernel found the address in use: the tentative copy must not stay (a dadfailed address
 * answers nobody, but it is the VIP left behind, and blocks the next attempt), so it goes before
 * the refusal is reported. The MAC is the one an advertisement or a probe named while the kernel
 * checked, if one reached the socket. */
static int kernel_dad_failed(struct xhafw_step *step, struct nl_sock *sk, int fd, const struct vip *v, int ifindex,
                             const unsigned char mac[ETH_ALEN])
{
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        unsigned char other[ETH_ALEN];
        bool seen = false, probe = false;
        int r;

        if (fd >= 0)
                seen = conflict_pending(fd, v, mac, other, &probe);
        r = vip_scan(step, sk, v, ifindex, &scan);
        if (r < 0)
                return r;
        if (scan.in_the_way) {
                r = copy_remove(step, sk, scan.in_the_way, "");
                if (r < 0)
                        return r;
        }
        log_conflict(step, sk, v, seen ? other : NULL, probe, true);
        return XHAFW_REFUSED;
}

/* The kernel's DAD did not end: the copy goes, so that no tentative address is left behind. */
static void remove_ours(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex)
{
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        struct rtnl_addr *a;

        if (vip_scan(step, sk, v, ifindex, &scan) < 0)
                return;
        a = scan.configured ? scan.configured : scan.in_the_way;
        if (a)
                (void) copy_remove(step, sk, a, "");
}

/* After the probe: *SCAN (the first look, freed here) becomes what is on the node now, and each copy
 * that was not there at the first look is logged, found while the probe ran; *ret_configured is
 * whether the configured copy is among them. A copy of this node answers the probe from this node's
 * own MACs (v->own_macs), so it reaches this point as any copy does, and apply converges on the
 * configured copy as it would have, had the copy been there before. */
static int rescan_after_probe(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex,
                              struct vip_scan *scan, bool *ret_configured)
{
        _cleanup_(vip_scan_done) struct vip_scan before = *scan;
        char what[128];
        int r;

        *scan = (struct vip_scan){ 0 };
        r = vip_scan(step, sk, v, ifindex, scan);
        if (r < 0)
                return r;
        *ret_configured = false;
        for (struct nl_object *o = nl_cache_get_first(scan->cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;

                if (!addr_is_vip(v, a) || copy_seen(before.cache, a))
                        continue;
                if (a == scan->configured)
                        *ret_configured = true;
                copy_text(a, "on", what, sizeof what);
                xhafw_log(step, LOG_NOTICE, "%s appeared on this node while the probe ran (not added by xhafw)%s", what,
                          a == scan->configured ? ": it is the configured copy, kept" : "");
        }
        return 0;
}

/* Once the configured copy is added: every other copy goes, from what is on the node now (one may
 * have been added since the last look), before the first announcement, so that only ours answers
 * when the network is told where the VIP is. Each pass reads the addresses again; a pass that finds
 * nothing to remove is done. The configured copy must be there, and usable: an IPv6 address added
 * with nodad is never tentative, and this says so before the first advertisement goes out. */

static int remove_others(struct xhafw_step *step, struct nl_sock *sk, const struct vip *v, int ifindex)
{
        char what[128];

        for (unsigned pass = 0; pass < VIP_CONVERGE_PASSES; pass++) {
                _cleanup_(vip_scan_done) struct vip_scan now = { 0 };
                int r;

                r = vip_scan(step, sk, v, ifindex, &now);
                if (r < 0)
                        return r;
                if (!now.configured) {
                        if (now.in_the_way)
                                copy_text(now.in_the_way, "on", what, sizeof what);
                        xhafw_log(step, LOG_ERR, "%s is not usable on %s after it was added%s%s: not announcing it",
                                  v->address, v->interface, now.in_the_way ? ": " : "",
                                  now.in_the_way ? what : " (it is not there)");
                        return -EADDRNOTAVAIL;
                }
                if (now.copies == 1)
                        return 0;
                for (struct nl_object *o = nl_cache_get_first(now.cache); o; o = nl_cache_get_next(o)) {
                        struct rtnl_addr *a = (struct rtnl_addr *) o;

                        if (!addr_is_vip(v, a) || a == now.configured)
                                continue;
                        r = copy_remove(step, sk, a, " (the VIP in another form than configured)");
                        if (r < 0)
                                return r;
                }
        }
        xhafw_log(step, LOG_ERR,
                  "%s keeps appearing on this node in other forms than configured (removed %u times, back each time): "
                  "something else adds it (a site's script, DHCP, another HA tool); stop it, then activate again",
                  v->host, VIP_CONVERGE_PASSES - 1);
        return -EBUSY;
}

static int vip_apply(struct xhafw_step *step)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL, *events = NULL;
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        _cleanup_(closep) int fd = -1, group = -1;
        struct link_info link;
        struct vip v;
        uint64_t began, probing = 0, window_end = 0, woke = 0, added = 0, announced, dad_bound_ms = 0, dad_start = 0,
                        dad_end = 0;
        unsigned char other[ETH_ALEN];
        bool dry = xhafw_dry_run(step), probed = false, conflict_probe = false, appeared_configured = false, kernel_dad;
        char what[128];
        int ifindex, r;

        began = now_ns();
        r = vip_load(step, &v);
        if (r < 0)
                return r;
        ifindex = (int) if_nametoindex(v.interface);
        if (ifindex == 0) {
                xhafw_log(step, LOG_ERR,
                          "interface %s does not exist on this host: cannot take %s; bring the "
                          "interface back (see 'ip link') or set 'interface' of this step to the one that "
                          "carries the management network",
                          v.interface, v.address);
                return -ENODEV;
        }
        r = nl_open(step, &sk);
        if (r < 0)
                return r;
        r = link_query(step, sk, &v, ifindex, &link);
        if (r < 0)
                return r;
        if (!link.up || !link.running) {
                /* A probe on a dead link hears nobody and would "prove" the address free. */
                xhafw_log(step, LOG_ERR,
                          "%s is %s: refusing to take %s (a probe could not reach the other node); "
                          "bring the link up first",
                          v.interface, link.up ? "up but has no carrier" : "down", v.address);
                return -ENETDOWN;
        }
        if (!link.ether && (v.probe || v.announce_count > 0)) {
                if (is_v6(&v))
                        xhafw_log(step, LOG_ERR,
                                  "%s is not an Ethernet interface: the neighbour solicitations and "
                                  "advertisements xhafw sends itself do not apply; set probe = no and na_count = 0 "
                                  "to take %s without them",
                                  v.interface, v.address);
                else
                        xhafw_log(step, LOG_ERR,
                                  "%s is not an Ethernet interface: ARP probing and gratuitous ARP do "
                                  "not apply; set probe = no and garp_count = 0 to take %s without them",
                                  v.interface, v.address);
                return -EPROTONOSUPPORT;
        }
        if (is_v6(&v)) {
                r = ipv6_check_interface(step, &v);
                if (r < 0)
                        return r;
        }
        r = vip_scan(step, sk, &v, ifindex, &scan);
        if (r < 0)
                return r;
        kernel_dad = is_v6(&v) && v.kernel_dad && v.probe && !scan.configured && !xhafw_force(step);
        if (kernel_dad) {
                r = kernel_dad_bound(step, &v, &dad_bound_ms);
                if (r < 0)
                        return r;
        }

        if (link.ether) {
                fd = is_v6(&v) ? nd_socket(step, &v, ifindex) : arp_socket(step, &v, ifindex);
                if (fd < 0)
                        return fd;
                if (is_v6(&v) && v.probe && !scan.configured && !xhafw_force(step))
                        group = nd_join_group(step, &v, ifindex);
        }
        if (link.ether && v.probe) {
                r = own_macs_load(step, sk, &v);
                if (r < 0)
                        return r;
        }

        /* Held in the configured form already: nobody else can have taken it from this node since. In
         * any other form the probe still runs, as the other node may hold it as well; this node's
         * own copies answer it too (from any of its interfaces), and they are not a conflict. With
         * dad = kernel the kernel probes once the address is added, and a dry-run, which adds
         * nothing, runs xhafw's probe instead to say what it would find. */
        if (!scan.configured && v.probe && xhafw_force(step))
                xhafw_log(step, LOG_WARNING, "--force: taking %s without a duplicate-address probe", v.address);
        else if (!scan.configured && v.probe && (!kernel_dad || dry)) {
                /* A dry-run probes (read-only) but announces nothing: no sender. */
                probing = now_ns();
                r = run_probe(step, fd, ifindex, &v, link.mac, other, &conflict_probe, &window_end);
                if (r < 0)
                        return r;
                if (r > 0) {
                        log_conflict(step, sk, &v, other, conflict_probe, false);
                        return XHAFW_REFUSED;
                }
                probed = true;
                woke = now_ns();
                /* The node's addresses may have changed while the probe listened: what follows
                 * works from what is there now, not from the first look. */
                r = rescan_after_probe(step, sk, &v, ifindex, &scan, &appeared_configured);
                if (r < 0)
                        return r;
                if (dry)
                        xhafw_log(step, LOG_NOTICE, "probe: %s is free (no answer within %" PRIu64 " ms)", v.host,
                                  probe_window_ms(&v));
        }

        if (dry) {
                /* In the order the changes would be made. */
                if (scan.configured)
                        xhafw_log(step, LOG_NOTICE, "%s is already on %s%s%s; would announce it again", v.address,
                                  v.interface, is_v6(&v) ? "" : " as ", v.label);
                if (scan.in_the_way) {
                        copy_text(scan.in_the_way, "from", what, sizeof what);
                        xhafw_log(step, LOG_NOTICE, "would remove %s, to add it again as configured", what);
                }
                if (!scan.configured && kernel_dad)
                        xhafw_log(step, LOG_NOTICE,
                                  "would add %s on %s and wait for the kernel's duplicate-address "
                                  "detection (up to %" PRIu64 " ms)",
                                  v.address, v.interface, dad_bound_ms);
                else if (!scan.configured && is_v6(&v))
                        xhafw_log(step, LOG_NOTICE, "would add %s on %s with nodad", v.address, v.interface);
                else if (!scan.configured)
                        xhafw_log(step, LOG_NOTICE, "would add %s on %s as %s", v.address, v.interface, v.label);
                for (struct nl_object *o = nl_cache_get_first(scan.cache); o; o = nl_cache_get_next(o)) {
                        struct rtnl_addr *a = (struct rtnl_addr *) o;

                        if (!addr_is_vip(&v, a) || a == scan.configured || a == scan.in_the_way)
                                continue;
                        copy_text(a, "from", what, sizeof what);
                        xhafw_log(step, LOG_NOTICE, "would remove %s (the VIP in another form than configured)", what);
                }
                if (v.announce_count > 0)
                        xhafw_log(step, LOG_NOTICE, "would send %u %s, %" PRIu64 " ms apart", v.announce_count,
                                  announcement_noun(&v, v.announce_count), v.announce_interval_ms);
                return 0;
        }

        /* Converge on exactly one copy, the configured one. The kernel keeps an address's label and
         * holds one address per interface, address and prefix length (IPv4) or per interface and
         * address (IPv6): the copy in its place goes first. Every other one goes once ours is added
         * (the VIP never leaves this node) and before the announcement (only ours answers when the
         * network is told where the VIP is). */
        if (kernel_dad) {
                /* Subscribed before the address is added, so that no change of its state is missed. */
                r = nl_open_events(step, &events);
                if (r < 0)
                        return r;
        }
        if (scan.in_the_way) {
                r = copy_remove(step, sk, scan.in_the_way, ", to add it again as configured");
                if (r < 0)
                        return r;
        }
        if (!scan.configured) {
                r = addr_add(step, sk, &v, ifindex, is_v6(&v) && !kernel_dad);
                if (r < 0)
                        return r;
        }
        if (kernel_dad) {
                dad_start = now_ns();
                r = kernel_dad_wait(step, sk, events, &v, ifindex, dad_bound_ms);
                dad_end = now_ns();
                if (r == 1)
                        return kernel_dad_failed(step, sk, fd, &v, ifindex, link.mac);
                if (r < 0) {
                        if (r == -ETIMEDOUT)
                                xhafw_log(step, LOG_ERR,
                                          "%s on %s is still tentative after %" PRIu64 " ms, longer "
                                          "than the kernel's duplicate-address detection takes with this "
                                          "interface's settings: removing it",
                                          v.address, v.interface, dad_bound_ms);
                        else if (r == -EADDRNOTAVAIL)
                                xhafw_log(step, LOG_ERR,
                                          "%s vanished from %s while the kernel checked it: was "
                                          "it removed, or IPv6 turned off on %s?",
                                          v.address, v.interface, v.interface);
                        remove_ours(step, sk, &v, ifindex);
                        return r;
                }
        }
        r = remove_others(step, sk, &v, ifindex);
        if (r < 0)
                return r;
        added = now_ns();
        if (v.announce_count > 0) {
                if (is_v6(&v)) {
                        long long forwarding = 0;

                        (void) sysctl_read("conf", v.interface, "forwarding", &forwarding);
                        v.router = forwarding > 0;
                }
                r = announce_send(fd, ifindex, &v, link.mac);
                if (r < 0)
                        xhafw_log(step, LOG_WARNING,
                                  "cannot send an %s for %s on %s: %s; clients may keep the old MAC "
                                  "until their %s entries expire",
                                  announcement_noun(&v, 1), v.address, v.interface, strerror(-r),
                                  is_v6(&v) ? "neighbour" : "ARP");
        }
        announced = now_ns();
        if (probed) {
                xhafw_log(step, LOG_DEBUG,
                          "the probe began %.3f ms into apply; after the probe window: awake +%.3f "
                          "ms, address added +%.3f ms, first announcement sent +%.3f ms",
                          (double) (probing - began) / 1e6, (double) (woke - window_end) / 1e6,
                          (double) (added - window_end) / 1e6, (double) (announced - window_end) / 1e6);
                xhafw_log(step, LOG_INFO,
                          "%s was free (probe window %" PRIu64 " ms); added and announced %.3f ms "
                          "after the window closed",
                          v.host, probe_window_ms(&v), (double) (announced - window_end) / 1e6);
        }
        if (kernel_dad)
                xhafw_log(step, LOG_INFO,
                          "%s was free: the kernel's duplicate-address detection took %.3f ms; "
                          "announced %.3f ms after it ended",
                          v.host, (double) (dad_end - dad_start) / 1e6, (double) (announced - dad_end) / 1e6);
        if (appeared_configured)
                xhafw_log(step, LOG_NOTICE, "%s was put on %s%s%s while the probe ran, not by xhafw; announced it",
                          v.address, v.interface, is_v6(&v) ? "" : " as ", v.label);
        else if (scan.configured)
                xhafw_log(step, LOG_INFO, "%s was already on %s%s%s; announced it again", v.address, v.interface,
                          is_v6(&v) ? "" : " as ", v.label);
        else if (is_v6(&v))
                xhafw_log(step, LOG_NOTICE, "added %s to %s%s", v.address, v.interface, kernel_dad ? "" : " (nodad)");
        else
                xhafw_log(step, LOG_NOTICE, "added %s to %s as %s", v.address, v.interface, v.label);
        if (v.announce_count > 1)
                announce_start(step, fd, ifindex, &v, link.mac);
        return 0;
}

/* Every copy of the address goes, in whatever form, state and on whatever interface of this node
 * it is: it is the VIP, and a node that gives the role up must not answer for it. */
static int vip_revert(struct xhafw_step *step)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        bool dry = xhafw_dry_run(step);
        struct vip v;
        int ifindex, r, failed = 0;

        r = vip_load(step, &v);
        if (r < 0)
                return r;
        ifindex = (int) if_nametoindex(v.interface);
        if (ifindex == 0)
                xhafw_log(step, LOG_INFO, "interface %s does not exist: %s cannot be on it", v.interface, v.address);
        r = nl_open(step, &sk);
        if (r < 0)
                return r;
        r = vip_scan(step, sk, &v, ifindex, &scan);
        if (r < 0)
                return r;
        if (scan.copies == 0) {
                xhafw_log(step, LOG_INFO, "%s is not on this node: nothing to remove", v.host);
                return 0;
        }
        /* Each copy is tried, so that one that cannot be removed does not keep the others. */
        for (struct nl_object *o = nl_cache_get_first(scan.cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                const char *why = a == scan.configured ? "" : " (the VIP in another form than configured)";
                char what[128];

                if (!addr_is_vip(&v, a))
                        continue;
                if (dry) {
                        copy_text(a, "from", what, sizeof what);
                        xhafw_log(step, LOG_NOTICE, "would remove %s%s", what, why);
                        continue;
                }
                r = copy_remove(step, sk, a, why);
                if (r < 0 && !failed)
                        failed = r;
        }
        return failed;
}

/* ---- preflight ---- */

static void vip_report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void vip_report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
                       const char *fmt, ...)
{
        char detail[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        xhafw_preflight_check(step, check, result, detail, result == XHAFW_CHECK_PASS ? NULL : fix);
}

/* Another address of the host with this MAC, from the neighbour table: whoever answers for the
 * VIP is known here by its own address too, the other management node by its static one. */
static bool neighbour_with_mac(struct nl_sock *sk, const struct vip *v, const unsigned char mac[ETH_ALEN], char *buf,
                               size_t size)
{
        _cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
        size_t len;
        const void *bytes = vip_bytes(v, &len);

        if (rtnl_neigh_alloc_cache(sk, &cache) < 0)
                return false;
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_neigh *n = (struct rtnl_neigh *) o;
                struct nl_addr *ll = rtnl_neigh_get_lladdr(n), *dst = rtnl_neigh_get_dst(n);

                if (!ll || !dst || nl_addr_get_len(ll) != ETH_ALEN ||
                    memcmp(nl_addr_get_binary_addr(ll), mac, ETH_ALEN) != 0 ||
                    (rtnl_neigh_get_state(n) & (NUD_FAILED | NUD_INCOMPLETE)) ||
                    (nl_addr_get_len(dst) == len && memcmp(nl_addr_get_binary_addr(dst), bytes, len) == 0))
                        continue;
                nl_addr2str(dst, buf, size);
                return true;
        }
        return false;
}

/* The interface (there, up, with carrier), the label free, and the VIP free or held by the other
 * node, whose MAC the probe names. Read-only: the probe only asks (RFC 5227, RFC 4862), as apply's
 * dry-run does. */
static int vip_preflight(struct xhafw_step *step)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(vip_scan_done) struct vip_scan scan = { 0 };
        _cleanup_(closep) int fd = -1, group = -1;
        static const char held[] = "VIP free or held by the peer";
        bool active = xhafw_node_active(step), probing = false, label_taken = false;
        unsigned char other[ETH_ALEN];
        char fix[256], m[18], who[128], what[128], local[IFNAMSIZ];
        struct link_info link;
        uint64_t end = 0;
        struct vip v;
        int ifindex, r;

        r = vip_load(step, &v);
        if (r < 0)
                return r;
        ifindex = (int) if_nametoindex(v.interface);
        if (ifindex == 0) {
                snprintf(fix, sizeof fix,
                         "set interface in the step to the one that carries the management network "
                         "(ip -br link lists them), or give %s its name back",
                         v.interface);
                vip_report(step, "interface", XHAFW_CHECK_FAIL, fix,
                           "%s does not exist on this node: activate could "
                           "not take %s",
                           v.interface, v.address);
                return 0;
        }
        r = nl_open(step, &sk);
        if (r < 0)
                return r;
        r = link_query(step, sk, &v, ifindex, &link);
        if (r < 0)
                return r;
        format_mac(link.mac, m, sizeof m);
        if (!link.up) {
                snprintf(fix, sizeof fix, "ip link set %s up", v.interface);
                vip_report(step, "interface", XHAFW_CHECK_FAIL, fix, "%s is down", v.interface);
        } else if (!link.running) {
                snprintf(fix, sizeof fix,
                         "check the cable and the switch port of %s (ip link show %s says "
                         "NO-CARRIER)",
                         v.interface, v.interface);
                vip_report(step, "interface", XHAFW_CHECK_FAIL, fix, "%s is up but has no carrier", v.interface);
        } else
                vip_report(step, "interface", XHAFW_CHECK_PASS, NULL, "%s is up with carrier%s%s", v.interface,
                           link.ether ? ", MAC " : "", link.ether ? m : "");

        r = vip_scan(step, sk, &v, ifindex, &scan);
        if (r < 0)
                return r;
        /* Another address with the label would be taken for the VIP by xCAT's mgtifname. */
        for (struct nl_object *o = nl_cache_get_first(scan.cache); o && !is_v6(&v); o = nl_cache_get_next(o)) {
                struct rtnl_addr *a = (struct rtnl_addr *) o;
                const char *label = rtnl_addr_get_label(a);

                if (rtnl_addr_get_family(a) != AF_INET || !label || strcmp(label, v.label) != 0 || addr_is_vip(&v, a))
                        continue;
                copy_text(a, "on", what, sizeof what);
                snprintf(fix, sizeof fix,
                         "ip addr del %.*s dev %s if it is not needed, or set label in the step to a "
                         "free one",
                         (int) strcspn(what, " "), what, v.interface);
                vip_report(step, "label free", XHAFW_CHECK_FAIL, fix, "label %s is taken by %s", v.label, what);
                label_taken = true;
        }
        if (is_v6(&v))
                vip_report(step, "label free", XHAFW_CHECK_PASS, NULL, "IPv6 addresses have no label");
        else if (!label_taken)
                vip_report(step, "label free", XHAFW_CHECK_PASS, NULL, "no other address has the label %s", v.label);

        if (active) {
                vip_report(step, held, XHAFW_CHECK_PASS, NULL, "this node holds the role: %s is %s here", v.address,
                           scan.configured ? "held" : "not held in the configured form");
                return 0;
        }
        if (scan.copies > 0) {
                struct rtnl_addr *a = scan.configured;

                for (struct nl_object *o = nl_cache_get_first(scan.cache); o && !a; o = nl_cache_get_next(o))
                        if (addr_is_vip(&v, (struct rtnl_addr *) o))
                                a = (struct rtnl_addr *) o;
                copy_text(a, "on", what, sizeof what);
                snprintf(fix, sizeof fix, "ip addr del %.*s dev %s (or xhafw deactivate)", (int) strcspn(what, " "),
                         what, v.interface);
                vip_report(step, held, XHAFW_CHECK_FAIL, fix, "the VIP is on this standby: %s", what);
                return 0;
        }
        if (!link.up || !link.running || !link.ether) {
                vip_report(step, held, XHAFW_CHECK_WARN, "bring the interface up, then run xhafw preflight again",
                           "not probed: %s %s", v.interface,
                           !link.ether ? "is not an Ethernet interface" : "has no link");
                return 0;
        }
        fd = is_v6(&v) ? nd_socket(step, &v, ifindex) : arp_socket(step, &v, ifindex);
        if (fd >= 0 && is_v6(&v))
                group = nd_join_group(step, &v, ifindex); /* as apply does: another host's probe reaches it */
        r = fd < 0 ? fd : run_probe(step, fd, ifindex, &v, link.mac, other, &probing, &end);
        if (r < 0) {
                vip_report(step, held, XHAFW_CHECK_WARN, "see the messages above; the probe needs CAP_NET_RAW",
                           "cannot probe for %s on %s: %s", v.address, v.interface, strerror(-r));
                return 0;
        }
        if (r == 0) {
                vip_report(step, held, XHAFW_CHECK_PASS, NULL, "%s is free: no answer to %u probes within %llu ms",
                           v.address, v.probe_count,
                           (unsigned long long) ((v.probe_count - 1) * v.probe_interval_ms + v.probe_timeout_ms));
                return 0;
        }
        format_mac(other, m, sizeof m);
        if (local_mac_owner(sk, other, local)) {
                snprintf(fix, sizeof fix, "remove the address from %s (ip addr show %s)", local, local);
                vip_report(step, held, XHAFW_CHECK_FAIL, fix, "%s is answered by %s, this host's own %s", v.address, m,
                           local);
        } else if (probing) {
                vip_report(step, held, XHAFW_CHECK_WARN,
                           "is the other node activating? run xhafw preflight again "
                           "once it is done",
                           "%s is being probed for by %s right now", v.address, m);
        } else if (neighbour_with_mac(sk, &v, other, who, sizeof who))
                vip_report(step, held, XHAFW_CHECK_PASS, NULL,
                           "%s is held by %s, the MAC of %s: the other management "
                           "node, if that is the peer",
                           v.address, m, who);
        else
                vip_report(step, held, XHAFW_CHECK_WARN,
                           "find the host with that MAC (the switch's MAC table, ip neigh "
                           "on the peer); if it is not the other management node, remove the address there",
                           "%s is held by %s, which is no known neighbour's MAC", v.address, m);
        return 0;
}


XHAFW_PLUGIN_DEFINE(.name = "vip", .version = "1.1",
                    .summary = "virtual IPv4 or IPv6 address with a duplicate-address probe and gratuitous ARP or "
                               "unsolicited neighbour advertisements",
                    .options = vip_options, .describe = vip_describe, .check = vip_check, .apply = vip_apply,
                    .revert = vip_revert, .validate = vip_validate, .preflight = vip_preflight);
