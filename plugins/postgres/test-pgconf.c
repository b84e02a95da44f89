/* Unit tests of the postgres plugin's pure text functions: golden files and tables of cases. */

#include <check.h>
#include <stdlib.h>

#include "pgconf.c"

/* The last two are entries already there, spelled otherwise: ::1/128 is in the file, 2001:db8::7 added before. */
static const char *const golden_allow[] = { "192.0.2.7", "192.0.2.70", "198.51.100.0/24", "192.0.2.8", "2001:db8::7",
                                            "::1",       "192.0.2.7",  "2001:DB8:0::7",   "0:0::1" };
static const char *const golden_listen[] = { "localhost", "192.0.2.7", "192.0.2.70" };

static char *slurp(const char *name)
{
        const char *dir = getenv("PGCONF_TESTDATA");
        char path[4096];
        FILE *f;
        char *text;
        long n;

        ck_assert_ptr_nonnull(dir);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "re");
        ck_assert_msg(f != NULL, "cannot open %s", path);
        ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        text = calloc(1, (size_t) n + 1);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(fread(text, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        return text;
}

START_TEST(hba_golden)
{
        char *in = slurp("pg_hba.conf.in"), *want = slurp("pg_hba.conf.golden"), *out, *added, *out2, *added2;

        ck_assert_int_eq(pgconf_hba_add(in, golden_allow, 9, "scram-sha-256", &out, &added), 4);
        ck_assert_str_eq(out, want);
        ck_assert_str_eq(added, "192.0.2.7/32,198.51.100.0/24,192.0.2.8/32,2001:db8::7/128");
        /* adding twice adds once */
        ck_assert_int_eq(pgconf_hba_add(out, golden_allow, 9, "scram-sha-256", &out2, &added2), 0);
        ck_assert_str_eq(out2, want);
        ck_assert_str_eq(added2, "");
        free(in), free(want), free(out), free(added), free(out2), free(added2);
}
END_TEST

START_TEST(listen_golden)
{
        char *in = slurp("postgresql.conf.in"), *want = slurp("postgresql.conf.golden"), *out, *added, *out2, *added2;

        ck_assert_int_eq(pgconf_listen_add(in, golden_listen, 3, &out, &added), 1);
        ck_assert_str_eq(out, want);
        ck_assert_str_eq(added, "192.0.2.7");
        ck_assert_int_eq(pgconf_listen_add(out, golden_listen, 3, &out2, &added2), 0);
        ck_assert_str_eq(out2, want);
        free(in), free(want), free(out), free(added), free(out2), free(added2);
}
END_TEST

/* The golden input with its listen_addresses value replaced by a wildcard: nothing to add, not a byte changed. */
static const char *const listen_wildcards[] = { "'0.0.0.0'", "'*'", "'0.0.0.0, ::'", "'::, *'", "'::,0.0.0.0'" };

START_TEST(listen_wildcard)
{
        const char *line = "listen_addresses = 'localhost,192.0.2.70'";
        char *in = slurp("postgresql.conf.in"), *at = strstr(in, line), *text, *out, *added;
        size_t n;

        ck_assert_ptr_nonnull(at);
        n = strlen(in) + strlen(listen_wildcards[_i]) + 1;
        text = malloc(n);
        ck_assert_ptr_nonnull(text);
        snprintf(text, n, "%.*slisten_addresses = %s%s", (int) (at - in), in, listen_wildcards[_i], at + strlen(line));
        ck_assert_int_eq(pgconf_listen_add(text, golden_listen, 3, &out, &added), 0);
        ck_assert_str_eq(out, text);
        ck_assert_str_eq(added, "");
        free(in), free(text), free(out), free(added);
}
END_TEST

static const struct {
        const char *in, *want;
        int added;
} listen_cases[] = {
        /* no active line: the built-in default plus the missing ones, at the end */
        { "#listen_addresses = 'localhost'\n",
          "#listen_addresses = 'localhost'\nlisten_addresses = 'localhost, 192.0.2.7'\t# added by xhafw\n", 1 },
        { "port = 5432", "port = 5432\nlisten_addresses = 'localhost, 192.0.2.7'\t# added by xhafw\n", 1 },
        { "", "listen_addresses = 'localhost, 192.0.2.7'\t# added by xhafw\n", 1 },
        /* a bare word becomes a quoted list; the comment stays */
        { "listen_addresses = localhost # c\n", "listen_addresses = 'localhost, 192.0.2.7' # c\n", 1 },
        { "listen_addresses localhost\n", "listen_addresses 'localhost, 192.0.2.7'\n", 1 },
        /* the last active line wins and is the one edited */
        { "listen_addresses = '*'\nLISTEN_ADDRESSES='127.0.0.1'\t#x\n",
          "listen_addresses = '*'\nLISTEN_ADDRESSES='127.0.0.1, localhost, 192.0.2.7'\t#x\n", 2 },
        /* covered by a wildcard, or already there in another spelling */
        { "listen_addresses = '*'\n", "listen_addresses = '*'\n", 0 },
        { "listen_addresses = '0.0.0.0, localhost'\n", "listen_addresses = '0.0.0.0, localhost'\n", 0 },
        /* a family's wildcard covers localhost too: the shared file is not touched */
        { "listen_addresses = '0.0.0.0'\n", "listen_addresses = '0.0.0.0'\n", 0 },
        { "listen_addresses = ' 0.0.0.0 '\r\n", "listen_addresses = ' 0.0.0.0 '\r\n", 0 },
        { "listen_addresses = '::, 0.0.0.0'\n", "listen_addresses = '::, 0.0.0.0'\n", 0 },
        /* '::' is IPv6 only in PostgreSQL (IPV6_V6ONLY): an IPv4 address is added, localhost is not */
        { "listen_addresses = '::'\n", "listen_addresses = '::, 192.0.2.7'\n", 1 },
        { "listen_addresses = '0:0::0'\n", "listen_addresses = '0:0::0, 192.0.2.7'\n", 1 },
        { "listen_addresses = ' LOCALHOST , 192.0.2.007'\n",
          "listen_addresses = ' LOCALHOST , 192.0.2.007, 192.0.2.7'\n", 1 },
        /* empty or trailing-comma values stay valid lists */
        { "listen_addresses = ''\n", "listen_addresses = 'localhost, 192.0.2.7'\n", 2 },
        { "listen_addresses = 'localhost,'\n", "listen_addresses = 'localhost, 192.0.2.7'\n", 1 },
        /* escaped quotes inside the value keep their bytes */
        { "listen_addresses = 'a''b,localhost'  # 'q'\n", "listen_addresses = 'a''b,localhost, 192.0.2.7'  # 'q'\n",
          1 },
        /* an unterminated string is not a setting: a new line is added */
        { "listen_addresses = 'localhost\n",
          "listen_addresses = 'localhost\nlisten_addresses = 'localhost, 192.0.2.7'\t# added by xhafw\n", 1 },
        /* a bare value the server would reject is not a setting to extend */
        { "listen_addresses = a'b\n",
          "listen_addresses = a'b\nlisten_addresses = 'localhost, 192.0.2.7'\t# added by xhafw\n", 1 },
        /* CRLF line ends survive */
        { "listen_addresses = 'localhost'\r\nport = 1\r\n", "listen_addresses = 'localhost, 192.0.2.7'\r\nport = 1\r\n",
          1 },
};

START_TEST(listen_table)
{
        const char *const want[] = { "localhost", "192.0.2.7" };
        char *out, *added;

        ck_assert_int_eq(pgconf_listen_add(listen_cases[_i].in, want, 2, &out, &added), listen_cases[_i].added);
        ck_assert_str_eq(out, listen_cases[_i].want);
        free(out), free(added);
}
END_TEST

/* IPv6 entries: '::' covers every IPv6 address and no IPv4 one, '*' both; one address in any spelling is one entry. */
static const struct {
        const char *in, *want[4], *out, *added;
        int count;
} listen6_cases[] = {
        { "listen_addresses = '::'\n", { "localhost", "2001:db8::7" }, "listen_addresses = '::'\n", "", 0 },
        { "listen_addresses = '0::0'\n",
          { "2001:db8::7", "192.0.2.7" },
          "listen_addresses = '0::0, 192.0.2.7'\n",
          "192.0.2.7",
          1 },
        { "listen_addresses = '*'\n", { "localhost", "2001:db8::7", "192.0.2.7" }, "listen_addresses = '*'\n", "", 0 },
        { "listen_addresses = '0.0.0.0, ::'\n",
          { "2001:db8::7", "192.0.2.7" },
          "listen_addresses = '0.0.0.0, ::'\n",
          "",
          0 },
        /* 0.0.0.0 is IPv4 only */
        { "listen_addresses = '0.0.0.0'\n",
          { "localhost", "2001:db8::7", "192.0.2.7" },
          "listen_addresses = '0.0.0.0, 2001:db8::7'\n",
          "2001:db8::7",
          1 },
        /* there already, spelled otherwise */
        { "listen_addresses = 'localhost, 2001:DB8:0:0::7'\n",
          { "2001:db8::7", "localhost" },
          "listen_addresses = 'localhost, 2001:DB8:0:0::7'\n",
          "",
          0 },
        /* wanted in three spellings: added once, as first written */
        { "listen_addresses = 'localhost'\n",
          { "2001:DB8::7", "2001:db8::7", "2001:db8:0::0:7" },
          "listen_addresses = 'localhost, 2001:DB8::7'\n",
          "2001:DB8::7",
          1 },
        /* both families, no line: the default first */
        { "",
          { "localhost", "2001:db8::7", "192.0.2.7" },
          "listen_addresses = 'localhost, 2001:db8::7, 192.0.2.7'\t# added by xhafw\n",
          "2001:db8::7,192.0.2.7",
          2 },
        /* an address is no wildcard: ::1 does not cover localhost, nor 2001:db8::7 2001:db8::70 */
        { "listen_addresses = '::1, 2001:db8::70'\n",
          { "localhost", "2001:db8::7" },
          "listen_addresses = '::1, 2001:db8::70, localhost, 2001:db8::7'\n",
          "localhost,2001:db8::7",
          2 },
        /* an IPv4-mapped address is an IPv6 one (bound IPv6 only): it does not cover 192.0.2.7 */
        { "listen_addresses = '::ffff:192.0.2.7'\n",
          { "192.0.2.7" },
          "listen_addresses = '::ffff:192.0.2.7, 192.0.2.7'\n",
          "192.0.2.7",
          1 },
};

START_TEST(listen6_table)
{
        size_t n = 0;
        char *out, *added;

        while (n < 4 && listen6_cases[_i].want[n])
                n++;
        ck_assert_int_eq(pgconf_listen_add(listen6_cases[_i].in, listen6_cases[_i].want, n, &out, &added),
                         listen6_cases[_i].count);
        ck_assert_str_eq(out, listen6_cases[_i].out);
        ck_assert_str_eq(added, listen6_cases[_i].added);
        free(out), free(added);
}
END_TEST

START_TEST(listen_refuses)
{
        const char *const bad[] = { "a'b" }, *const comma[] = { "a,b" }, *const nl[] = { "a\nb" };
        char *out = NULL, *added = NULL;

        ck_assert_int_eq(pgconf_listen_add("", bad, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_listen_add("", comma, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_listen_add("", nl, 1, &out, &added), -EINVAL);
        ck_assert_ptr_null(out);
}
END_TEST

static const struct {
        const char *in, *want;
        int added;
} hba_cases[] = {
        { "", "host\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        /* a last line without a newline gets one, and keeps its bytes */
        { "local all all trust", "local all all trust\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        /* present with another method: the admin's choice stands */
        { "host all all 192.0.2.7/32 trust\n", "host all all 192.0.2.7/32 trust\n", 0 },
        { "host all all 192.0.2.7 255.255.255.255 reject\n", "host all all 192.0.2.7 255.255.255.255 reject\n", 0 },
        /* not the same grant: a commented line, another prefix, a role list, a quoted keyword */
        { "#host all all 192.0.2.7/32 md5\n",
          "#host all all 192.0.2.7/32 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        { "host all all 192.0.2.0/24 md5\n",
          "host all all 192.0.2.0/24 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        { "host all admin 192.0.2.7/32 md5\n",
          "host all admin 192.0.2.7/32 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        { "host all \"all\" 192.0.2.7/32 md5\n",
          "host all \"all\" 192.0.2.7/32 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
        { "host all all 192.0.2.7 255.255.0.255 md5\n",
          "host all all 192.0.2.7 255.255.0.255 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n", 1 },
};

START_TEST(hba_table)
{
        const char *const allow[] = { "192.0.2.7" };
        char *out, *added;

        ck_assert_int_eq(pgconf_hba_add(hba_cases[_i].in, allow, 1, "md5", &out, &added), hba_cases[_i].added);
        ck_assert_str_eq(out, hba_cases[_i].want);
        free(out), free(added);
}
END_TEST

/* IPv6 and both families: /128 for an address, the spelling does not matter, nor host bits under a prefix. */
static const struct {
        const char *in, *allow[4], *want, *added;
        int count;
} hba6_cases[] = {
        { "", { "2001:db8::7" }, "host\tall\tall\t2001:db8::7/128\tmd5\t# managed by xhafw\n", "2001:db8::7/128", 1 },
        /* both families, in the order given; a prefix given is kept as written */
        { "",
          { "192.0.2.7", "2001:db8::7", "2001:db8:1::/48" },
          "host\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n"
          "host\tall\tall\t2001:db8::7/128\tmd5\t# managed by xhafw\n"
          "host\tall\tall\t2001:db8:1::/48\tmd5\t# managed by xhafw\n",
          "192.0.2.7/32,2001:db8::7/128,2001:db8:1::/48",
          3 },
        /* one address in three spellings: one line, as first written */
        { "",
          { "2001:DB8::7", "2001:db8:0:0::7", "2001:db8::7/128" },
          "host\tall\tall\t2001:DB8::7/128\tmd5\t# managed by xhafw\n",
          "2001:DB8::7/128",
          1 },
        /* granted already, in another spelling or as ADDRESS NETMASK */
        { "host all all 2001:DB8:0:0:0:0:0:7/128 trust\n",
          { "2001:db8::7" },
          "host all all 2001:DB8:0:0:0:0:0:7/128 trust\n",
          "",
          0 },
        { "host all all 2001:db8::7 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff reject\n",
          { "2001:db8::7" },
          "host all all 2001:db8::7 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff reject\n",
          "",
          0 },
        { "host all all 2001:db8::/64 md5\n", { "2001:db8::5/64" }, "host all all 2001:db8::/64 md5\n", "", 0 },
        { "host all all 2001:db8::6/127 md5\n", { "2001:db8::7/127" }, "host all all 2001:db8::6/127 md5\n", "", 0 },
        { "host all all 192.0.2.0/24 md5\n", { "192.0.2.7/24" }, "host all all 192.0.2.0/24 md5\n", "", 0 },
        /* not the same grant: another prefix, the other family, a mask with a hole, IPv4-mapped, hostssl */
        { "host all all 2001:db8::/64 md5\n",
          { "2001:db8::7" },
          "host all all 2001:db8::/64 md5\nhost\tall\tall\t2001:db8::7/128\tmd5\t# managed by xhafw\n",
          "2001:db8::7/128",
          1 },
        { "host all all 2001:db8::4/127 md5\n",
          { "2001:db8::7/127" },
          "host all all 2001:db8::4/127 md5\nhost\tall\tall\t2001:db8::7/127\tmd5\t# managed by xhafw\n",
          "2001:db8::7/127",
          1 },
        { "host all all 2001:db8::7 ffff::ffff md5\n",
          { "2001:db8::7" },
          "host all all 2001:db8::7 ffff::ffff md5\nhost\tall\tall\t2001:db8::7/128\tmd5\t# managed by xhafw\n",
          "2001:db8::7/128",
          1 },
        { "host all all ::ffff:192.0.2.7/128 md5\n",
          { "192.0.2.7" },
          "host all all ::ffff:192.0.2.7/128 md5\nhost\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n",
          "192.0.2.7/32",
          1 },
        { "hostssl all all 2001:db8::7/128 md5\n",
          { "2001:db8::7" },
          "hostssl all all 2001:db8::7/128 md5\nhost\tall\tall\t2001:db8::7/128\tmd5\t# managed by xhafw\n",
          "2001:db8::7/128",
          1 },
        { "host all all ::/0 md5\n",
          { "::" },
          "host all all ::/0 md5\nhost\tall\tall\t::/128\tmd5\t# managed by xhafw\n",
          "::/128",
          1 },
};

START_TEST(hba6_table)
{
        size_t n = 0;
        char *out, *added;

        while (n < 4 && hba6_cases[_i].allow[n])
                n++;
        ck_assert_int_eq(pgconf_hba_add(hba6_cases[_i].in, hba6_cases[_i].allow, n, "md5", &out, &added),
                         hba6_cases[_i].count);
        ck_assert_str_eq(out, hba6_cases[_i].want);
        ck_assert_str_eq(added, hba6_cases[_i].added);
        free(out), free(added);
}
END_TEST

START_TEST(hba_refuses)
{
        const char *const name[] = { "node1.example" }, *const ok[] = { "192.0.2.7" },
                          *const prefix[] = { "192.0.2.7/33" };
        const char *const prefix6[] = { "2001:db8::7/129" }, *const zone[] = { "fe80::1%eth0" },
                          *const brackets[] = { "[2001:db8::7]" };
        char *out = NULL, *added = NULL;

        ck_assert_int_eq(pgconf_hba_add("", prefix6, 1, "md5", &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_hba_add("", zone, 1, "md5", &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_hba_add("", brackets, 1, "md5", &out, &added), -EINVAL);

        ck_assert_int_eq(pgconf_hba_add("", name, 1, "md5", &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_hba_add("", prefix, 1, "md5", &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_hba_add("", ok, 1, "md5 # x", &out, &added), -EINVAL);
        ck_assert_int_eq(pgconf_hba_add("", ok, 1, "", &out, &added), -EINVAL);
        ck_assert_ptr_null(out);
}
END_TEST

START_TEST(pidfile)
{
        struct pgconf_pidfile pf;

        ck_assert_int_eq(
                pgconf_pidfile_parse(
                        "4242\n/srv/pg\n1700000000\n5433\n/run/pg\n127.0.0.1\n  1234567     65536\nready   \n", &pf),
                0);
        ck_assert_int_eq(pf.pid, 4242);
        ck_assert_str_eq(pf.data_dir, "/srv/pg");
        ck_assert_int_eq(pf.port, 5433);
        ck_assert_str_eq(pf.socket_dir, "/run/pg");
        ck_assert_str_eq(pf.listen_addr, "127.0.0.1");
        ck_assert_str_eq(pf.status, "ready");
        /* while starting, only the first lines are there */
        ck_assert_int_eq(pgconf_pidfile_parse("77\n/srv/pg\n", &pf), 0);
        ck_assert_int_eq(pf.port, 0);
        ck_assert_str_eq(pf.status, "");
        ck_assert_int_eq(pgconf_pidfile_parse("", &pf), -EINVAL);
        ck_assert_int_eq(pgconf_pidfile_parse("x\n", &pf), -EINVAL);
        ck_assert_int_eq(pgconf_pidfile_parse("1\n/d\n0\n70000\n", &pf), -EINVAL);
}
END_TEST

START_TEST(covers)
{
        ck_assert(pgconf_listen_covers("localhost, 192.0.2.7", "192.0.2.7"));
        ck_assert(pgconf_listen_covers("*", "anything"));
        ck_assert(pgconf_listen_covers("::", "2001:db8::1"));
        ck_assert(!pgconf_listen_covers("::", "192.0.2.7"));
        /* a wildcard covers every host name, localhost included: names are not looked up */
        ck_assert(pgconf_listen_covers("0.0.0.0", "localhost"));
        ck_assert(pgconf_listen_covers("0.0.0.0", "192.0.2.7"));
        ck_assert(pgconf_listen_covers("0.0.0.0", "xcatmn1.cluster.example"));
        ck_assert(!pgconf_listen_covers("0.0.0.0", "2001:db8::1"));
        ck_assert(pgconf_listen_covers("::", "localhost"));
        ck_assert(pgconf_listen_covers("192.0.2.70, ::", "LocalHost"));
        ck_assert(pgconf_listen_covers("*", "localhost"));
        /* an address is no wildcard, and a prefix is no address to listen on */
        ck_assert(!pgconf_listen_covers("127.0.0.1", "localhost"));
        ck_assert(!pgconf_listen_covers("0.0.0.0/0", "192.0.2.7"));
        ck_assert(!pgconf_listen_covers("0.0.0.0", "192.0.2.7/32"));
        ck_assert(pgconf_listen_covers("2001:DB8:0::1", "2001:db8::1"));
        ck_assert(!pgconf_listen_covers("192.0.2.70", "192.0.2.7"));
        ck_assert(!pgconf_listen_covers("", "localhost"));
        /* IPv6: any spelling of the address or of the wildcard */
        ck_assert(pgconf_listen_covers("0:0:0:0:0:0:0:0", "2001:DB8::1"));
        ck_assert(pgconf_listen_covers("localhost, 2001:db8:0:0:0:0:0:1", "2001:db8::1"));
        ck_assert(!pgconf_listen_covers("2001:db8::1", "2001:db8::10"));
        ck_assert(!pgconf_listen_covers("0.0.0.0", "::1"));
        ck_assert(!pgconf_listen_covers("::", "0.0.0.0"));
        ck_assert(!pgconf_listen_covers("::", "2001:db8::1/64"));
        ck_assert(pgconf_listen_covers("*", "2001:db8::1"));
}
END_TEST

START_TEST(listen_value)
{
        char v[PGCONF_MAX_LINE];

        pgconf_listen_value("#listen_addresses = '*'\n", v, sizeof v);
        ck_assert_str_eq(v, "localhost");
        pgconf_listen_value("listen_addresses = 'a, b' # c\nlisten_addresses = 'x''y'\n", v, sizeof v);
        ck_assert_str_eq(v, "x'y");
}
END_TEST

/* What PostgreSQL reads as no pid (atoi of the file is 0), and what it reads as one. */
START_TEST(pidfile_no_pid)
{
        static const struct {
                const char *text;
                size_t len;
                const char *why; /* NULL: it names a pid */
        } cases[] = {
                { "", 0, "it is empty" },
                { " \n\t\n", 4, "it holds only blanks" },
                { "\0\0\0\0", 4, "it holds NUL bytes where the pid should be" },
                { "  \0"
                  "77\n",
                  6, "it holds NUL bytes where the pid should be" },
                { "abc\n77\n", 7, "its first line is no pid" },
                { "0\n/srv/pg\n", 10, "its first line is no pid" },
                { "-\n", 2, "its first line is no pid" },
                { "99999999999999999999\n", 21, "its first line is no pid" },
                { "77\n", 3, NULL },
                { " 77", 3, NULL },
                { "-77\n", 4, NULL },
                { "+5\n", 3, NULL },
                { "77abc\n", 6, NULL },
                { "\n\n77\n", 5, NULL },
        };
        char why[64];

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                bool no = pgconf_pidfile_no_pid(cases[i].text, cases[i].len, why, sizeof why);

                ck_assert_msg(no == !!cases[i].why, "case %zu: %s", i, no ? "no pid" : "a pid");
                if (no)
                        ck_assert_str_eq(why, cases[i].why);
        }
}
END_TEST

/* What ALTER SYSTEM writes to postgresql.auto.conf, and what does not set a name. */
START_TEST(sets_name)
{
        static const char auto_conf[] = "# Do not edit this file manually!\n"
                                        "# It will be overwritten by the ALTER SYSTEM command.\n"
                                        "listen_addresses = '127.0.0.1'\n";

        ck_assert(pgconf_sets(auto_conf, "listen_addresses"));
        ck_assert(pgconf_sets("LISTEN_ADDRESSES=localhost\n", "listen_addresses"));
        ck_assert(!pgconf_sets(auto_conf, "port"));
        ck_assert(!pgconf_sets("# Do not edit this file manually!\n", "listen_addresses"));
        ck_assert(!pgconf_sets("#listen_addresses = '*'\nlisten_addresses_x = 1\n", "listen_addresses"));
        ck_assert(!pgconf_sets("", "listen_addresses"));
}
END_TEST

static Suite *pgconf_suite(void)
{
        Suite *s = suite_create("pgconf");
        TCase *tc = tcase_create("pgconf");

        tcase_add_test(tc, hba_golden);
        tcase_add_test(tc, listen_golden);
        tcase_add_loop_test(tc, listen_wildcard, 0, sizeof listen_wildcards / sizeof listen_wildcards[0]);
        tcase_add_loop_test(tc, listen_table, 0, sizeof listen_cases / sizeof listen_cases[0]);
        tcase_add_loop_test(tc, listen6_table, 0, sizeof listen6_cases / sizeof listen6_cases[0]);
        tcase_add_test(tc, listen_refuses);
        tcase_add_loop_test(tc, hba_table, 0, sizeof hba_cases / sizeof hba_cases[0]);
        tcase_add_loop_test(tc, hba6_table, 0, sizeof hba6_cases / sizeof hba6_cases[0]);
        tcase_add_test(tc, hba_refuses);
        tcase_add_test(tc, pidfile);
        tcase_add_test(tc, pidfile_no_pid);
        tcase_add_test(tc, sets_name);
        tcase_add_test(tc, covers);
        tcase_add_test(tc, listen_value);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(pgconf_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
