# The cluster lab, sourced by xhafw-lab for `xhafw-lab cluster ...`: the two management nodes of the
# lab as a real two-node Pacemaker cluster (corosync 3, knet, two links on two bridges), each with a
# simulated BMC (OpenIPMI's ipmi_sim) that fence_ipmilan powers off, the xcat-mn resource
# (contrib/ocf/xhafw), the shared disk, a real PostgreSQL and a compute node writing rows through the
# VIP the whole time; and the scenarios a cluster meets, checked and timed. See docs/lab.md.
#
#   xhafw-lab cluster demo        install, build, build the site, run the scenarios, tear down
#                                 (FULL=1: every scenario, a to j; else a, b, c, g)
#   xhafw-lab cluster scenario NAME...  the same with a, then the scenarios named (b to j, repeats
#                                 allowed: `scenario h h h`); XHLAB_SEED=N repeats the random moments
#   xhafw-lab cluster up          build the site; the cluster starts the role
#   xhafw-lab cluster status      crm_mon, each node's power and xhafw status, the rows
#   xhafw-lab cluster power-off NODE | power-on NODE    through NODE's BMC (IPMI over the BMC network)
#   xhafw-lab cluster cut NODE | uncut NODE             both cluster links of NODE down, up
#   xhafw-lab cluster exec NODE CMD...                  CMD inside NODE (crm_mon -1, xhafw status, ...)
#   xhafw-lab cluster bench [ROUNDS]  xcat-mn against the classic group (Filesystem, IPaddr2, pgsql,
#                                 a resource per service) in the same run: a table (cluster-bench.sh)
#   xhafw-lab cluster down        remove everything

CL_NODES=(mn1 mn2)
declare -A ADDR1=([mn1]=203.0.113.11 [mn2]=203.0.113.12)        # link 1 (ring1), bridge br1
declare -A ADDRB=([mn1]=198.51.100.11 [mn2]=198.51.100.12)      # the nodes on the BMC network, bridge brb
declare -A MAC1=([mn1]=02:00:00:00:13:11 [mn2]=02:00:00:00:13:12)
declare -A MACB=([mn1]=02:00:00:00:51:11 [mn2]=02:00:00:00:51:12)
declare -A BMC=([mn1]=bmc1 [mn2]=bmc2)
declare -A BMC_ADDR=([bmc1]=198.51.100.1 [bmc2]=198.51.100.2)
BMC_USER="admin"
FENCE_DELAY=5                   # priority-fencing-delay (s): the fencing of the node holding the role waits this long
MONITOR_INTERVAL=10s            # the xcat-mn monitor (the agent's default is 30s)
FORM_LIMIT=120                  # seconds for the cluster to form at `up`
START_LIMIT=120                 # seconds for the role to start or move
WRITER_MAX=1800                 # the writer's own bound (s)

# ---------------------------------------------------------------- helpers

cl_need_tools() {
        local c
        need_tools
        for c in corosync pacemakerd crm_mon cibadmin crm_resource crm_attribute crm_failcount stonith_admin \
                corosync-cfgtool ipmi_sim ipmitool fence_ipmilan timeout bridge; do
                command -v "$c" > /dev/null || die "needs $c (run contrib/install-deps: packages corosync, pacemaker, pacemaker-cli-utils, openipmi, ipmitool, fence-agents)"
        done
        [ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] || die "needs the OCF shell functions (package resource-agents)"
        id hacluster > /dev/null 2>&1 || die "needs the hacluster user (package pacemaker)"
        local d
        for d in /var/lib/pacemaker /var/lib/corosync /var/log/pacemaker /var/log/corosync /etc/corosync /usr/lib/ocf/resource.d; do
                [ -d "$d" ] || die "needs $d (packages corosync, pacemaker, resource-agents)"
        done
}

# host_cluster: a corosync or pacemakerd that is not the lab's runs on this host
host_cluster() {
        local p
        for p in $(pgrep -x corosync; pgrep -x pacemakerd); do
                [ "$(readlink "/proc/$p/ns/net" 2> /dev/null)" = "$(readlink /proc/1/ns/net)" ] && return 0
                ip netns identify "$p" 2> /dev/null | grep -q "^$NSP-mn[12]$" || return 0
        done
        return 1
}

# bmc_ipmi NODE ARGS...: ipmitool ARGS against NODE's BMC, over the BMC network (from its BMC's
# namespace), with the password in a file
bmc_ipmi() {
        local b=${BMC[$1]}
        shift
        ip netns exec "$NSP-$b" timeout 10 ipmitool -I lanplus -C 3 -H "${BMC_ADDR[$b]}" -U "$BMC_USER" \
                -f "$LAB/bmc/$b/password" "$@" 3>&- 9>&-
}
powered() { bmc_ipmi "$1" chassis power status 2> /dev/null | grep -q 'is on'; }
cl_power() {
        local out
        out=$(bmc_ipmi "$1" chassis power "$2" 2>&1) || { echo "$out" >&2; return 1; }
        NOTE="$out"
}

# wait_until LIMIT WHAT CMD...: poll CMD every 0.2 s; after LIMIT seconds report what the cluster
# looked like and fail. WAITED: the milliseconds it took.
wait_until() {
        local limit=$1 what=$2 t0 end
        shift 2
        t0=$(now_ms)
        end=$((t0 + limit * 1000))
        while [ "$(now_ms)" -lt "$end" ]; do
                if "$@" > /dev/null 2>&1; then
                        WAITED=$(($(now_ms) - t0))
                        return 0
                fi
                sleep 0.2
        done
        WAITED=-1
        say "  ....  timed out after ${limit}s waiting for $what"
        cl_dump
        return 1
}

# cl_dump: what the cluster looks like, and the ends of its logs
cl_dump() {
        local n
        for n in "${CL_NODES[@]}"; do
                say "        | ---- $n: crm_mon -1"
                if holder "$n" > /dev/null; then
                        on "$n" timeout 10 crm_mon -1 -r -f 2>&1 | sed 's/^/        | /' || true
                else
                        say "        | (powered off)"
                fi
                say "        | ---- $n: corosync.log (end)"
                tail -n 15 "$LAB/nodes/$n/cluster/var-log-corosync/corosync.log" 2> /dev/null | sed 's/^/        | /' || true
                say "        | ---- $n: pacemaker.log (errors, warnings, xhafw, fencing; end)"
                grep -E 'error|warning|xhafw|fence|stonith|Result of' "$LAB/nodes/$n/cluster/var-log-pacemaker/pacemaker.log" \
                        2> /dev/null | tail -n 25 | sed 's/^/        | /' || true
        done
        say "        | ---- power.log"
        sed 's/^/        | /' "$LAB/log/power.log" 2> /dev/null || true
}

# any_node: a powered-on node whose pacemaker answers
any_node() {
        local n
        for n in "${CL_NODES[@]}" "${CL_NODES[@]}"; do
                holder "$n" > /dev/null && on "$n" timeout 5 crm_mon -1 > /dev/null 2>&1 && { echo "$n"; return 0; }
        done
        return 1
}
# crm ARGS...: a cluster command on a node that answers
crm() { local n; n=$(any_node) || return 1; on "$n" timeout 20 "$@"; }

# where: the node that runs xcat-mn, as the cluster says
where() {
        local out
        out=$(crm crm_mon -1 2> /dev/null) || return 1
        sed -n 's/.*xcat-mn[[:space:]].*[[:space:]]Started \(mn[12]\)$/\1/p' <<< "$out" | head -n 1
}
started_on() { [ "$(where)" = "$1" ] && [ "$(on "$1" xhafw status > /dev/null 2>&1; echo $?)" = 0 ]; }
online() { local out; out=$(crm crm_mon -1 2> /dev/null) || return 1; grep -Eq "Online: \[.* $1( |\])" <<< "$out"; }
both_online() { online mn1 && online mn2; }
xh_status() { local rc=0; on "$1" xhafw status > /dev/null 2>&1 || rc=$?; echo "$rc"; }
failcount() { crm crm_failcount --query -r xcat-mn -N "$1" 2> /dev/null | sed -n 's/.*value=\([0-9A-Z]*\).*/\1/p'; }
# probe_rc NODE: the rc-code of xcat-mn's probe (monitor, interval 0) on NODE in the CIB status
probe_rc() {
        crm cibadmin -Q --xpath "//node_state[@uname='$1']//lrm_resource[@id='xcat-mn']/lrm_rsc_op[@operation='monitor'][@interval='0']" 2> /dev/null |
                sed -n 's/.*rc-code="\([0-9]*\)".*/\1/p' | head -n 1
}

# pcmk_ms NODE PATTERN [AFTER_MS]: the time (ms since the epoch) of the first line of NODE's pacemaker
# log matching PATTERN at or after AFTER_MS. Pacemaker writes "Mon DD HH:MM:SS.mmm" (no year).
log_ms() {
        local file=$1 pat=$2 after=${3:-0} line ts
        while IFS= read -r line; do
                ts=$(awk '{ print $1, $2, $3 }' <<< "$line")
                ts=$(date -d "$ts" +%s%3N 2> /dev/null) || continue
                [ "$ts" -ge "$after" ] && { echo "$ts"; return 0; }
        done < <(grep -E -- "$pat" "$file" 2> /dev/null)
        return 1
}
pcmk_ms() { log_ms "$LAB/nodes/$1/cluster/var-log-pacemaker/pacemaker.log" "$2" "${3:-0}"; }
coro_ms() { log_ms "$LAB/nodes/$1/cluster/var-log-corosync/corosync.log" "$2" "${3:-0}"; }
# ipmi_ms NODE PATTERN AFTER_MS start|end: a fence agent's ipmitool call on NODE (lab-ipmitool's log)
ipmi_ms() {
        awk -v a="$3" -v p="$2" -v w="$4" '$1 >= a && $0 ~ p { print (w == "start" ? $1 : $2); exit }' \
                "$LAB/nodes/$1/log/ipmitool.log" 2> /dev/null | grep .
}
power_ms() { awk -v n="$1" -v w="$2" -v a="${3:-0}" '$2 == n && $3 == w && $1 >= a { print $1; exit }' "$LAB/log/power.log" | grep .; }

# ---------------------------------------------------------------- the writer and the rows

writer_start() {
        : > "$LAB/writer.out"
        rm -f "$LAB/writer.stop"
        ip netns exec "$NSP-cn1" /bin/bash "$LAB_DIR/lab-writer" "$LAB/client.pgpass" "$VIP" "$PGPORT" \
                "$LAB/writer.out" "$LAB/writer.stop" "$WRITER_MAX" < /dev/null > /dev/null 2>&1 3>&- 9>&- &
        echo $! > "$RUN/writer.pid"
}
writer_stop() {
        local pid
        touch "$LAB/writer.stop"
        [ -r "$RUN/writer.pid" ] && read -r pid < "$RUN/writer.pid" || return 0
        for _ in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
        kill "$pid" 2> /dev/null || true
        rm -f "$RUN/writer.pid"
}
# committed: the ids the writer got back, into LAB/written; WROTE
committed() { awk '$2 != "-" { print $3 }' "$LAB/writer.out" > "$LAB/written"; WROTE=$(grep -c . "$LAB/written" || true); }
# rows_ok: every committed row is read back through the VIP (READ, LOST)
rows_ok() {
        committed
        rows_all_read
}
# first_commit_after MS: the end time of the writer's first committed row that started at or after MS
first_commit_after() { awk -v a="$1" '$2 != "-" && $1 >= a { print $2; exit }' "$LAB/writer.out" | grep .; }
# outage FROM TO: the longest gap the writer saw between two committed rows ending in [FROM, TO]
outage() {
        awk -v a="$1" -v b="$2" '$2 != "-" { if (prev && $2 >= a && prev <= b && $2 - prev > max) max = $2 - prev; prev = $2 }
                END { print max + 0 }' "$LAB/writer.out"
}
# more_rows N LIMIT: wait until N more rows have been committed
more_rows() {
        committed
        local want=$((WROTE + $1))
        wait_until "$2" "$1 more rows from cn1" eval 'committed; [ "$WROTE" -ge '"$want"' ]'
}

# ---------------------------------------------------------------- the site

# cl_node_files NODE: the node's local disk: xhafw's configuration (as in the single lab), its
# cluster configuration (corosync.conf, authkey), Pacemaker's and Corosync's state and log
# directories, the OCF agents, its hardware (hw.env) and its BMC credentials.
cl_node_files() {
        local n=$1 nd=$LAB/nodes/$1 c m d
        c=$nd/cluster
        mkdir -p "$nd"/{bin,etc/xhafw,etc/bmc,state,svc,log,run/postgresql} "$c"/{var-lib-corosync,var-log-corosync,etc-corosync}
        for d in "${SHARED_PATHS[@]}"; do mkdir -p "$nd/$d"; done
        chown postgres: "$nd/log" "$nd/run/postgresql"
        chmod 0700 "$nd/etc/bmc"
        printf '127.0.0.1\tlocalhost\n%s\t%s %s.lab.example\n' "${ADDR[$n]}" "$n" "$n" > "$nd/etc/hosts"
        printf 'search lab.example\nnameserver 192.0.2.53\n' > "$nd/etc/resolv.conf"
        # Pacemaker's directories as the package makes them (hacluster:haclient)
        install -d -o hacluster -g haclient -m 0750 "$c/var-lib-pacemaker"/{,blackbox,cib,cores,pengine}
        chmod 0755 "$c/var-lib-pacemaker"
        install -d -o hacluster -g haclient -m 0770 "$c/var-log-pacemaker"
        # the OCF agents: the system's, and this tree's xhafw agent
        mkdir -p "$c/ocf"
        cp -a /usr/lib/ocf/resource.d/. "$c/ocf/"
        rm -rf "$c/ocf/xhafw"
        install -D -m 0755 "$LAB_SRC/contrib/ocf/xhafw" "$c/ocf/xhafw/xhafw"
        # the lab's services as OCF resources, for the classic configuration of `cluster bench`
        rm -rf "$c/ocf/xhlab"
        install -D -m 0755 "$LAB_DIR/lab-svc-ocf" "$c/ocf/xhlab/svc"
        install -m 0400 "$LAB/authkey" "$c/etc-corosync/authkey"
        cat > "$c/etc-corosync/corosync.conf" <<EOF
# corosync.conf of the xhafw cluster lab (made by xhafw-lab): two links, each on its own bridge
totem {
        version: 2
        cluster_name: xhlab
        transport: knet
        crypto_cipher: aes256
        crypto_hash: sha256
        interface {
                linknumber: 0
        }
        interface {
                linknumber: 1
        }
}
nodelist {
        node {
                ring0_addr: ${ADDR[mn1]}
                ring1_addr: ${ADDR1[mn1]}
                name: mn1
                nodeid: 1
        }
        node {
                ring0_addr: ${ADDR[mn2]}
                ring1_addr: ${ADDR1[mn2]}
                name: mn2
                nodeid: 2
        }
}
quorum {
        provider: corosync_votequorum
        two_node: 1
}
logging {
        to_logfile: yes
        logfile: /var/log/corosync/corosync.log
        to_stderr: no
        to_syslog: no
        timestamp: hires
}
EOF
        # the node's hardware: its NICs (switch port, bridge, name, MAC) and addresses
        cat > "$nd/hw.env" <<EOF
NSP=$NSP
PORTS="$n-0:br0:eth0:${MAC[$n]} $n-1:br1:eth1:${MAC1[$n]} $n-b:brb:eth2:${MACB[$n]}"
NICS="eth0=${ADDR[$n]}/24 eth1=${ADDR1[$n]}/24 eth2=${ADDRB[$n]}/24"
FAKE_STATE=$FX_STATE
BOOT_CLEANUP=${XHLAB_BOOT_CLEANUP:-1}
EOF
        # the fence agent's ipmitool: the password from a file, never on a command line
        printf '#!/bin/sh\n# ipmitool for fence_ipmilan on lab node %s: the BMC password from %s\nexec /bin/bash %q %q %q "$@"\n' \
                "$n" "$LOCAL/etc/bmc" "$LAB_DIR/lab-ipmitool" "$LOCAL/etc/bmc" "$LOCAL/log/ipmitool.log" > "$nd/bin/ipmitool"
        chmod 0755 "$nd/bin/ipmitool"
        for m in "${CL_NODES[@]}"; do
                install -m 0600 "$LAB/bmc/${BMC[$m]}/password" "$nd/etc/bmc/${BMC_ADDR[${BMC[$m]}]}.password"
        done
}

# cl_bmc_files NODE: its BMC's lan.conf (mode 0600: it holds the password) and emulator commands
cl_bmc_files() {
        local n=$1 b=${BMC[$1]} d pw
        d=$LAB/bmc/$b
        mkdir -p "$d/state"
        chmod 0700 "$d"
        pw=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
        install -m 0600 /dev/null "$d/password"
        printf '%s\n' "$pw" > "$d/password"
        install -m 0600 /dev/null "$d/lan.conf"
        cat > "$d/lan.conf" <<EOF
# lan.conf of $b, the BMC of lab node $n (made by xhafw-lab)
name "xhlab-$b"
set_working_mc 0x20
  startlan 1
    addr ${BMC_ADDR[$b]} 623
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid a123456789abcdefa123456789abc$(printf '%03x' "${b#bmc}")
  endlan
  chassis_control "/bin/bash $LAB_DIR/lab-chassis $LAB $RUN $LAB_DIR $LOCAL $n"
  user 2 true "$BMC_USER" "$pw" admin 10 md5
EOF
        cat > "$d/bmc.emu" <<EOF
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
EOF
}

cl_start_bmc() {
        local b=$1 d=$LAB/bmc/$1 p
        (
                for fd in /proc/self/fd/*; do
                        fd=${fd##*/}
                        [ "$fd" -le 2 ] || eval "exec $fd>&-" 2> /dev/null || true
                done
                # its network namespace only: the chassis it drives creates namespaces of the host
                exec setsid nsenter --net="/run/netns/$NSP-$b" ipmi_sim -n -c "$d/lan.conf" -f "$d/bmc.emu" -s "$d/state" \
                        < /dev/null > "$LAB/log/$b.out" 2>&1
        ) &
        p=$!
        disown "$p"
        echo "$p" > "$RUN/$b.pid"
}

cl_site_up() {
        local n b i pw
        [ ! -e "$RUN/env" ] || die "the lab is up already ('xhafw-lab cluster down' first)"
        [ ! -e "$LAB" ] || die "$LAB exists: a lab that was not torn down? ('xhafw-lab cluster down' first)"
        [ -z "$(ip netns list 2> /dev/null | grep "^$NSP-" || true)" ] || die "namespaces $NSP-* exist ('xhafw-lab cluster down' first)"
        ! host_cluster || die "corosync or pacemakerd runs on this host: the cluster lab starts its own only when none does"
        mkdir -p "$RUN" "$LAB/log" "$LAB/bmc"
        chmod 0755 "$LAB"
        touch "$RUN/cluster"
        printf 'XH_BIN=%q\nXH_PLUGINS=%q\nPGBIN=%q\n' "$XH_BIN" "$XH_PLUGINS" "$PGBIN" > "$RUN/env"
        : > "$LAB/log/power.log"

        say "== the networks: bridges br0 (192.0.2.0/24: provision network and link 0), br1 (203.0.113.0/24: link 1)"
        say "   and brb (198.51.100.0/24: the BMC network) in $NSP-sw"
        ip netns add "$NSP-sw"
        for b in br0 br1 brb; do
                ip -n "$NSP-sw" link add "$b" type bridge
                ip -n "$NSP-sw" link set "$b" up
        done
        ip netns add "$NSP-cn1"
        ip -n "$NSP-sw" link add cn1 type veth peer name eth0 netns "$NSP-cn1"
        ip -n "$NSP-sw" link set cn1 master br0 up
        ip -n "$NSP-cn1" link set eth0 address "${MAC[cn1]}"
        ip -n "$NSP-cn1" link set lo up
        ip -n "$NSP-cn1" link set eth0 up
        ip -n "$NSP-cn1" addr add "${ADDR[cn1]}/24" dev eth0
        for n in "${CL_NODES[@]}"; do
                b=${BMC[$n]}
                ip netns add "$NSP-$b"
                ip -n "$NSP-sw" link add "$b" type veth peer name eth0 netns "$NSP-$b"
                ip -n "$NSP-sw" link set "$b" master brb up
                ip -n "$NSP-$b" link set lo up
                ip -n "$NSP-$b" link set eth0 up
                ip -n "$NSP-$b" addr add "${BMC_ADDR[$b]}/24" dev eth0
        done

        say "== the shared disk $DISK: xCAT's directories, a PostgreSQL cluster, the fake xCAT database"
        mkdir -p "$LOCAL" "$DISK"
        for i in "${SHARED_PATHS[@]}"; do mkdir -p "$DISK$LOCAL/$i"; done
        echo "shared xCAT install tree of the lab" > "$DISK$LOCAL/install/README"
        pw=lab-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        install -d -o postgres -g postgres -m 0700 "$DISK$LOCAL/var/lib/pgsql/data"
        chown postgres: "$DISK$LOCAL/var/lib/pgsql"
        install -o postgres -g postgres -m 0600 /dev/null "$LAB/pw"
        printf '%s\n' "$pw" > "$LAB/pw"
        (cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$DISK$DATA" -U postgres --auth-local=peer \
                --auth-host=scram-sha-256 --pwfile="$LAB/pw" -E UTF8 --locale=C > "$LAB/initdb.log" 2>&1) ||
                { cat "$LAB/initdb.log" >&2; die "initdb failed"; }
        rm -f "$LAB/pw"
        cat >> "$DISK$DATA/postgresql.conf" <<EOF

# xhafw cluster lab: the node-local socket directory; the postgres step adds the node's address and
# the VIP to listen_addresses when it activates a node.
port = $PGPORT
unix_socket_directories = '$LOCAL/run/postgresql'
listen_addresses = 'localhost'
EOF
        install -m 0600 /dev/null "$LAB/client.pgpass"
        printf '%s:%s:*:postgres:%s\n' "$VIP" "$PGPORT" "$pw" > "$LAB/client.pgpass"
        cat > "$DISK$FX_STATE" <<EOF
site.clustersite.domain=lab.example
site.clustersite.master=$VIP
site.clustersite.consoleservice=conserver
network.$XNET.net=192.0.2.0
network.$XNET.mask=255.255.255.0
network.$XNET.mgtifname=eth0
fake.xcatd_active_file=$LOCAL/svc/xcatd.active
EOF

        say "== the management nodes' local disks, their BMCs (ipmi_sim on 198.51.100.1 and .2)"
        dd if=/dev/urandom of="$LAB/authkey" bs=256 count=1 status=none
        chmod 0400 "$LAB/authkey"
        for n in "${CL_NODES[@]}"; do cl_bmc_files "$n"; done
        for n in "${CL_NODES[@]}"; do
                cl_node_files "$n"
                install -m 0600 /dev/null "$LAB/nodes/$n/etc/pgpass"
                printf '%s\n' "$pw" > "$LAB/nodes/$n/etc/pgpass"
                node_conf "$n"
        done
        rm -f "$LAB/authkey"
        for n in "${CL_NODES[@]}"; do cl_start_bmc "${BMC[$n]}"; done
        for n in "${CL_NODES[@]}"; do
                wait_until 10 "${BMC[$n]} to answer IPMI" bmc_ipmi "$n" chassis power status || return 1
        done
        check "both BMCs answer IPMI (lanplus, cipher suite 3) and report power off" eval '! powered mn1 && ! powered mn2'
}

# cl_configure: the cluster's configuration, as an admin would give it with pcs
cl_configure() {
        local n meta start_t stop_t mon_t xml=
        meta=$(on mn1 env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_config="$LOCAL/etc/xhafw/xhafw.conf" OCF_RESKEY_binary="$XH_BIN" \
                /usr/lib/ocf/resource.d/xhafw/xhafw meta-data 2> /dev/null) || { say "  FAIL  the agent's meta-data"; return 1; }
        start_t=$(sed -n 's/.*action name="start" timeout="\([0-9]*s\)".*/\1/p' <<< "$meta")
        stop_t=$(sed -n 's/.*action name="stop" timeout="\([0-9]*s\)".*/\1/p' <<< "$meta")
        mon_t=$(sed -n 's/.*action name="monitor" depth="0" timeout="\([0-9]*s\)".*/\1/p' <<< "$meta")
        NOTE="start ${start_t:-?}, stop ${stop_t:-?}, monitor ${mon_t:-?} from the agent's meta-data; monitor every $MONITOR_INTERVAL"
        on mn1 crm_attribute -t crm_config -n stonith-enabled -v true > /dev/null &&
                on mn1 crm_attribute -t crm_config -n priority-fencing-delay -v "${FENCE_DELAY}s" > /dev/null || return 1
        for n in "${CL_NODES[@]}"; do
                xml+="
<primitive id='fence-$n' class='stonith' type='fence_ipmilan'>
  <instance_attributes id='fence-$n-params'>
    <nvpair id='fence-$n-ip' name='ip' value='${BMC_ADDR[${BMC[$n]}]}'/>
    <nvpair id='fence-$n-username' name='username' value='$BMC_USER'/>
    <nvpair id='fence-$n-lanplus' name='lanplus' value='1'/>
    <nvpair id='fence-$n-cipher' name='cipher' value='3'/>
    <nvpair id='fence-$n-ipmitool' name='ipmitool_path' value='$LOCAL/bin/ipmitool'/>
    <nvpair id='fence-$n-host-list' name='pcmk_host_list' value='$n'/>
    <nvpair id='fence-$n-reboot' name='pcmk_reboot_action' value='off'/>
  </instance_attributes>
  <operations>
    <op id='fence-$n-monitor' name='monitor' interval='60s'/>
  </operations>
</primitive>"
        done
        xml+="
<primitive id='xcat-mn' class='ocf' provider='xhafw' type='xhafw'>
  <instance_attributes id='xcat-mn-params'>
    <nvpair id='xcat-mn-config' name='config' value='$LOCAL/etc/xhafw/xhafw.conf'/>
    <nvpair id='xcat-mn-binary' name='binary' value='$XH_BIN'/>
  </instance_attributes>
  <meta_attributes id='xcat-mn-meta'>
    <nvpair id='xcat-mn-stickiness' name='resource-stickiness' value='100'/>
    <nvpair id='xcat-mn-migration-threshold' name='migration-threshold' value='3'/>
    <nvpair id='xcat-mn-failure-timeout' name='failure-timeout' value='10min'/>
    <nvpair id='xcat-mn-priority' name='priority' value='10'/>
  </meta_attributes>
  <operations>
    <op id='xcat-mn-start' name='start' interval='0' timeout='${start_t:-300s}'/>
    <op id='xcat-mn-stop' name='stop' interval='0' timeout='${stop_t:-300s}'/>
    <op id='xcat-mn-monitor' name='monitor' interval='$MONITOR_INTERVAL' timeout='${mon_t:-120s}'/>
  </operations>
</primitive>"
        on mn1 cibadmin -C -o resources --xml-text "<resources>$xml</resources>" > "$LAB/log/cibadmin.out" 2>&1 ||
                { sed 's/^/        | /' "$LAB/log/cibadmin.out"; return 1; }
        on mn1 cibadmin -C -o constraints --xml-text "<constraints>
<rsc_location id='fence-mn1-avoids-mn1' rsc='fence-mn1' node='mn1' score='-INFINITY'/>
<rsc_location id='fence-mn2-avoids-mn2' rsc='fence-mn2' node='mn2' score='-INFINITY'/>
</constraints>" >> "$LAB/log/cibadmin.out" 2>&1 || { sed 's/^/        | /' "$LAB/log/cibadmin.out"; return 1; }
        on mn1 crm_verify -L > "$LAB/log/crm_verify.out" 2>&1 || { sed 's/^/        | /' "$LAB/log/crm_verify.out"; return 1; }
}

cl_down() {
        local n p pids left=0 spaces="mn1 mn2 cn1 bmc1 bmc2 sw"
        [ ! -r "$RUN/writer.pid" ] || writer_stop
        ! [ -r "$RUN/sampler.pid" ] || { read -r p < "$RUN/sampler.pid" && kill "$p" 2> /dev/null || true; }
        # the BMCs first (nothing powers a node on behind our back), then the nodes: SIGKILL to a
        # node's init ends every process of its PID namespace
        for b in bmc1 bmc2; do
                [ -r "$RUN/$b.pid" ] && read -r p < "$RUN/$b.pid" && [ "$(cat "/proc/$p/comm" 2> /dev/null)" = ipmi_sim ] &&
                        kill -KILL "$p" 2> /dev/null || true
        done
        for n in "${CL_NODES[@]}"; do
                p=$(holder "$n") && kill -KILL "$p" 2> /dev/null || true
                if [ -r "$RUN/$n.pid" ] && read -r p < "$RUN/$n.pid" && [[ $p =~ ^[0-9]+$ ]] &&
                        tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null | grep -q "lab-node-init $n "; then
                        kill -KILL "$p" 2> /dev/null || true
                fi
        done
        for n in $spaces; do
                for p in $(pids_of "$n"); do kill -KILL "$p" 2> /dev/null || true; done
        done
        for _ in $(seq 1 50); do
                pids=
                for n in $spaces; do pids+=$(pids_of "$n"); done
                [ -n "$pids" ] || break
                sleep 0.1
        done
        for n in $spaces; do
                ! [ -e "/run/netns/$NSP-$n" ] || ip netns del "$NSP-$n" 2> /dev/null || left=1
        done
        for p in $(awk -v l="$LAB" -v r="$RUN" 'index($5, l) == 1 || index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                umount "$p" 2> /dev/null || left=1
        done
        rm -rf "$LAB" "$RUN"
        return $left
}

cl_leftovers() {
        leftovers
        ps -eo pid=,args= | awk -v l="$LAB" '($2 == "ipmi_sim" || $2 ~ /lab-writer|lab-chassis/) && index($0, l) { print "process " $0 }'
}

# ---------------------------------------------------------------- scenarios

FIG=()
fig() { figure "$1" "$2"; FIG+=("$1: $2"); }

scenario_a() {
        local t0 a b
        say ""
        say "== a: cluster start: both nodes power on through their BMCs; one takes the role"
        t0=$(now_ms)
        must "mn1 powers on (IPMI chassis power on)" cl_power mn1 on || return 1
        must "mn2 powers on" cl_power mn2 on || return 1
        must "both nodes online in the cluster (corosync two links, pacemaker)" wait_until "$FORM_LIMIT" "both nodes online" both_online || return 1
        fig "cluster formed (power on to both nodes online)" "$(($(now_ms) - t0)) ms"
        check "corosync on mn1 sees both links to mn2 connected" eval 'on mn1 corosync-cfgtool -n 2>&1 | grep -A3 "nodeid: *2" | grep -c "connected" | grep -qx 2'
        check "quorum: two_node, 2 votes" eval 'on mn1 corosync-quorumtool -s 2>&1 | grep -q "2Node" && on mn1 corosync-quorumtool -s | grep -Eq "Total votes: +2"'
        must "the cluster takes the configuration (fencing through fence_ipmilan, xcat-mn)" cl_configure || return 1
        must "xcat-mn starts on one node" wait_until "$START_LIMIT" "xcat-mn to start" eval '[ -n "$(where)" ] && started_on "$(where)"' || return 1
        fig "configuration to the role started" "$WAITED ms"
        a=$(where)
        b=$(other "$a")
        ACTIVE=$a
        check "$a: xhafw status says active (exit 0)" [ "$(xh_status "$a")" = 0 ]
        check "$b: xhafw status says inactive (exit 3)" [ "$(xh_status "$b")" = 3 ]
        check "$b's probe of xcat-mn reported not running (rc 7)" wait_until 30 "the probe on $b" eval '[ "$(probe_rc '"$b"')" = 7 ]'
        check "xcat-mn was started once: one successful start in both nodes' logs, no failure" wait_until 20 "the start in the log" eval \
                '[ "$(cat "$LAB"/nodes/mn[12]/cluster/var-log-pacemaker/pacemaker.log | grep -c "Result of start operation for xcat-mn on .*: ok")" = 1 ] && [ -z "$(failcount "$a" | grep -v "^0$")" ]'
        check "crm_mon shows xcat-mn started once, on $a" eval '[ "$(crm crm_mon -1 | grep -c "xcat-mn.*Started")" = 1 ] && crm crm_mon -1 | grep -q "xcat-mn.*Started $a"'
        # the fence devices start beside the role, and on a busy machine may come after it
        check "the fence devices run, each away from the node it fences" wait_until 30 "the fence devices" eval \
                'crm crm_mon -1 | grep -q "fence-mn1.*Started mn2" && crm crm_mon -1 | grep -q "fence-mn2.*Started mn1"'
        must "cn1 creates a table through the VIP" psql_cn1 -c \
                "CREATE TABLE IF NOT EXISTS lab_rows (id serial PRIMARY KEY, phase text NOT NULL, at timestamptz DEFAULT now())" || return 1
        writer_start
        must "cn1 writes rows through the VIP, one transaction each, all the time from now on" more_rows 20 20 || return 1
        check "cn1 reads them back" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
}

scenario_b() {
        local a=$ACTIVE b t0 t1
        b=$(other "$a")
        say ""
        say "== b: planned move: crm_resource --move xcat-mn to $b, then --clear"
        t0=$(now_ms)
        must "crm_resource --move -r xcat-mn -N $b" eval "crm crm_resource --move -r xcat-mn -N $b > /dev/null 2>&1" || return 1
        must "xcat-mn runs on $b" wait_until "$START_LIMIT" "xcat-mn on $b" started_on "$b" || return 1
        t1=$(now_ms)
        check "crm_resource --clear -r xcat-mn" eval "crm crm_resource --clear -r xcat-mn > /dev/null 2>&1"
        ACTIVE=$b
        must "cn1 writes again" more_rows 10 30 || return 1
        fig "planned move (--move to the role started on $b)" "$((t1 - t0)) ms"
        FIG_B_OUT=$(outage "$t0" "$(now_ms)")
        fig "client-seen outage (longest gap between two rows committed by cn1)" "$FIG_B_OUT ms"
        check "$a: xhafw status says inactive" [ "$(xh_status "$a")" = 3 ]
        check "$a holds no VIP, nothing mounted, no PostgreSQL" eval "no_vip $a && no_storage $a && no_postgres $a"
        check "$b holds the VIP as eth0:0 and the storage" eval "vip_on $b && has_storage $b"
        check "the role stays on $b after the --clear" eval "sleep 3; [ \"\$(where)\" = $b ]"
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
}

scenario_c() {
        local a=$ACTIVE b t_off t_lost t_agent t_fenced t_started t_sql
        b=$(other "$a")
        say ""
        say "== c: power loss of the active node $a: $b notices, fences it through its BMC, takes the role"
        must "$a loses power (its BMC: chassis power off; every process of $a dies at once)" cl_power "$a" off || return 1
        t_off=$(power_ms "$a" off) || t_off=$(now_ms)
        must "xcat-mn runs on $b" wait_until "$START_LIMIT" "xcat-mn on $b" started_on "$b" || return 1
        must "cn1's rows commit again through the VIP" wait_until 30 "a row committed after the power loss" first_commit_after "$t_off" || return 1
        ACTIVE=$b
        t_sql=$(first_commit_after "$t_off")
        t_lost=$(pcmk_ms "$b" "(Node|peer) $a.*(lost|left)|$a.*state is now lost" "$((t_off - 1000))") ||
                t_lost=$(coro_ms "$b" "A processor failed|Token has not been received" "$((t_off - 1000))") || t_lost=
        t_agent=$(ipmi_ms "$b" "${BMC_ADDR[${BMC[$a]}]}.*power (status|off)" "$t_off" start) || t_agent=
        t_fenced=$(pcmk_ms "$b" "Operation '?(off|reboot)'? .*targeting $a.*OK" "$t_off") || t_fenced=
        t_started=$(pcmk_ms "$b" "Result of start operation for xcat-mn on $b: ok" "$t_off") || t_started=
        check "$b fenced $a through $a's BMC (fence_ipmilan: chassis power status says off)" eval \
                "grep -q 'H ${BMC_ADDR[${BMC[$a]}]} .*power status => .*is off' '$LAB/nodes/$b/log/ipmitool.log' && [ -n '$t_fenced' ]"
        check "the cluster's fencing history says $a was turned off" eval "out=\$(crm stonith_admin --history $a 2>&1); grep -Eq '(off|reboot) of $a successful' <<< \"\$out\""
        check "$a is powered off (IPMI)" eval "! powered $a"
        check "$b: xhafw status says active" [ "$(xh_status "$b")" = 0 ]
        fig "power loss to the VIP answering SQL (a row committed by cn1)" "$((t_sql - t_off)) ms"
        if [ -n "$t_lost" ] && [ -n "$t_fenced" ]; then
                fig "  detection (power off to $b's pacemaker declaring $a lost)" "$((t_lost - t_off)) ms"
                fig "  fencing ($a lost to the fence confirmed; priority-fencing-delay ${FENCE_DELAY}s, fence_ipmilan from $((${t_agent:-$t_lost} - t_lost)) ms)" \
                        "$((t_fenced - t_lost)) ms"
                fig "  activation (fence confirmed to SQL answering; xcat-mn start ok at +$((${t_started:-$t_fenced} - t_fenced)) ms)" "$((t_sql - t_fenced)) ms"
                FIG_C="$((t_sql - t_off)) ms (detection $((t_lost - t_off)), fencing $((t_fenced - t_lost)), activation $((t_sql - t_fenced)))"
        else
                check "the detection and fencing times are in $b's logs" false
                FIG_C="$((t_sql - t_off)) ms"
        fi
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
        FENCED=$a
}

scenario_g() {
        local f=$FENCED a=$ACTIVE t0
        say ""
        say "== g: the fenced node $f powers on and rejoins as the standby; the role stays on $a"
        t0=$(now_ms)
        must "$f powers on (IPMI)" cl_power "$f" on || return 1
        must "$f is online in the cluster" wait_until "$FORM_LIMIT" "$f online" online "$f" || return 1
        fig "power on to $f online" "$(($(now_ms) - t0)) ms"
        check "$f's probe of xcat-mn reports not running (rc 7)" wait_until 60 "the probe on $f" eval '[ "$(probe_rc '"$f"')" = 7 ]'
        check "$f: xhafw status says inactive (its init started corosync and pacemaker, not the role)" [ "$(xh_status "$f")" = 3 ]
        check "the role does not move back: xcat-mn still on $a ${MONITOR_INTERVAL} later" eval "sleep ${MONITOR_INTERVAL%s}; started_on $a"
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
}

# sampler_start [LIMIT_S]: both nodes' VIP and postmaster, every 100 ms, for at most LIMIT_S seconds
# (default 120), into LAB/log/sampler.log: for the scenarios where both nodes may take the role
sampler_start() {
        local limit=${1:-120}
        (
                exec 3>&- 9>&-
                end=$(($(now_ms) + limit * 1000))
                while [ ! -e "$LAB/sampler.stop" ] && [ "$(now_ms)" -lt "$end" ]; do
                        v1=0 v2=0 p1=0 p2=0
                        vip_on mn1 && v1=1
                        vip_on mn2 && v2=1
                        no_postgres mn1 || p1=1
                        no_postgres mn2 || p2=1
                        echo "$(now_ms) vip=$v1$v2 pg=$p1$p2"
                        sleep 0.1
                done
        ) > "$LAB/log/sampler.log" 2>&1 < /dev/null &
        echo $! > "$RUN/sampler.pid"
}
sampler_stop() {
        local p
        touch "$LAB/sampler.stop"
        read -r p < "$RUN/sampler.pid" || return 0
        for _ in $(seq 1 30); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
        rm -f "$RUN/sampler.pid" "$LAB/sampler.stop"
}

# cl_cut NODE: the switch stops forwarding NODE's two cluster links (its ports on br0 and br1 are
# disabled); the node keeps its carrier, as behind a failed switch. A port that goes down instead
# (a pulled cable) is another case: docs/lab.md says what it does.
cl_cut() { local p; for p in "$1-0" "$1-1"; do touch "$RUN/cut-$p"; bridge -n "$NSP-sw" link set dev "$p" state 0 2> /dev/null || true; done; }
cl_uncut() { local p; for p in "$1-0" "$1-1"; do rm -f "$RUN/cut-$p"; bridge -n "$NSP-sw" link set dev "$p" state 3 2> /dev/null || true; done; }

scenario_d() {
        local a=$ACTIVE b t0 t_b_off n
        b=$(other "$a")
        say ""
        say "== d: the active node $a is cut off both cluster links while it runs: a fencing race"
        sampler_start
        t0=$(now_ms)
        cl_cut "$a"
        say "  ....  the switch stops forwarding $a's ports on br0 and br1; each node sees the other lost, each asks to fence it"
        must "$b is powered off by $a's fencing (priority-fencing-delay holds $b's back)" wait_until 60 "$b powered off" eval "! powered $b" || { sampler_stop; return 1; }
        t_b_off=$(power_ms "$b" off "$t0") || t_b_off=$(now_ms)
        fig "cut to $b fenced" "$((t_b_off - t0)) ms"
        check "$a was not fenced: it is powered on" powered "$a"
        sleep 2
        cl_uncut "$a"
        say "  ....  $a's ports forward again"
        check "xcat-mn still runs on $a, and only there" wait_until 30 "xcat-mn on $a" started_on "$a"
        sampler_stop
        n=$(grep -c . "$LAB/log/sampler.log" || true)
        check "never both nodes held the VIP ($n samples, every 100 ms)" eval '! grep -q "vip=11" "$LAB/log/sampler.log"'
        check "never both nodes ran a postmaster" eval '! grep -q "pg=11" "$LAB/log/sampler.log"'
        check "exactly one node ends active" eval "[ \"\$(xh_status $a)\" = 0 ] && ! holder $b > /dev/null"
        check "cn1's rows commit again" more_rows 10 30
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
        FENCED=$b
}

scenario_e() {
        local a=$ACTIVE b i t0
        b=$(other "$a")
        say ""
        say "== e: a service of a step dies on the active node $a (named): recovered in place; after migration-threshold failures the role moves"
        for i in 1 2 3; do
                t0=$(now_ms)
                rm -f "$LAB/nodes/$a/svc/named.active"
                if [ "$i" -lt 3 ]; then
                        must "failure $i: the monitor notices and the cluster recovers xcat-mn on $a" wait_until 90 "recovery on $a" \
                                eval '[ "$(failcount '"$a"')" = '"$i"' ] && started_on '"$a"' && [ -e "$LAB/nodes/'"$a"'/svc/named.active" ]' || return 1
                        fig "failure $i: named killed to recovered on $a" "$WAITED ms"
                else
                        must "failure 3 (migration-threshold): the role moves to $b" wait_until 90 "xcat-mn on $b" started_on "$b" || return 1
                        fig "failure 3: named killed to the role started on $b" "$WAITED ms"
                fi
        done
        ACTIVE=$b
        check "$a: xhafw status says inactive" [ "$(xh_status "$a")" = 3 ]
        check "a cleanup clears the fail count" eval "crm crm_resource --cleanup -r xcat-mn > /dev/null 2>&1; sleep 2; fc=\$(failcount $a); [ -z \"\$fc\" ] || [ \"\$fc\" = 0 ]"
        check "the role stays on $b after the cleanup" eval "sleep 3; started_on $b"
        check "cn1's rows commit" more_rows 10 30
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
}

scenario_f() {
        local a=$ACTIVE b t0 t_off
        b=$(other "$a")
        say ""
        say "== f: a stop that fails ($a's named refuses to stop): $a is fenced, never left half active"
        touch "$LAB/nodes/$a/svc/named.fail-stop"
        t0=$(now_ms)
        must "crm_resource --move -r xcat-mn -N $b" eval "crm crm_resource --move -r xcat-mn -N $b > /dev/null 2>&1" || return 1
        must "$a is fenced (powered off through its BMC)" wait_until 90 "$a powered off" eval "! powered $a" || return 1
        t_off=$(power_ms "$a" off "$t0") || t_off=$(now_ms)
        must "xcat-mn runs on $b" wait_until "$START_LIMIT" "xcat-mn on $b" started_on "$b" || return 1
        fig "--move to $a fenced after its failed stop" "$((t_off - t0)) ms"
        fig "--move to the role started on $b" "$(($(now_ms) - t0)) ms"
        check "$a's stop failed in its log (xhafw deactivate exited 1)" \
                grep -q "xhafw deactivate exited 1" "$LAB/nodes/$a/cluster/var-log-pacemaker/pacemaker.log"
        check "crm_resource --clear -r xcat-mn" eval "crm crm_resource --clear -r xcat-mn > /dev/null 2>&1"
        rm -f "$LAB/nodes/$a/svc/named.fail-stop"
        ACTIVE=$b
        check "cn1's rows commit" more_rows 10 30
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
        FENCED=$a
}

# ---------------------------------------------------------------- failures in the middle of a start or a move
# h, i and j strike at a random moment of a start or a move; the moments come from bash's RANDOM,
# seeded from XHLAB_SEED when it is set (the demo prints the seed it used, to repeat a run).

# journal_runs NODE KIND: how many runs of KIND (activate, deactivate) NODE's xhafw journal has begun
journal_runs() {
        local c
        c=$(grep -c "\"event\":\"run-start\",\"detail\":\"$2\"" "$LAB/nodes/$1/state/journal" 2> /dev/null) || true
        echo "${c:-0}"
}

# wait_run NODE KIND BEFORE LIMIT: poll NODE's journal every 20 ms, for at most LIMIT seconds, until
# it has begun more than BEFORE runs of KIND. RUN_T0: when that was seen (ms since the epoch).
wait_run() {
        local end=$(($(now_ms) + $4 * 1000))
        while [ "$(now_ms)" -lt "$end" ]; do
                if [ "$(journal_runs "$1" "$2")" -gt "$3" ]; then
                        RUN_T0=$(now_ms)
                        return 0
                fi
                sleep 0.02
        done
        say "  ....  timed out after ${4}s waiting for an xhafw $2 run on $1"
        cl_dump
        return 1
}

# journal_ms NODE: NODE's journal, the last 200 lines, as "MS EVENT STEP-OR-DETAIL"
journal_ms() {
        local f=$LAB/nodes/$1/state/journal
        [ -r "$f" ] || return 0
        paste -d ' ' <(tail -n 200 "$f" | grep '"time":"' | sed 's/.*"time":"\([^"]*\)".*/\1/' | date -f - +%s%3N) \
                <(tail -n 200 "$f" | grep '"time":"' | sed -e 's/.*"event":"\([^"]*\)","step":"\([^"]*\)".*/\1 \2/' \
                        -e 's/.*"event":"\([^"]*\)","detail":"\([^"]*\)".*/\1 \2/')
}

# run_ms NODE KIND: how long NODE's last successful run of KIND took (ms), from its journal
run_ms() {
        journal_ms "$1" | awk -v k="$2" '$2 == "run-start" { t = ($3 == k) ? $1 : "" }
                $2 == "run-end" && t != "" && $3 == k && $4 == "exit=0" { d = $1 - t; t = "" }
                END { if (d != "") print d; else exit 1 }'
}

# journal_at NODE MS [KIND]: what NODE's xhafw was doing at MS, from its journal ("its KIND had not
# begun" when its last run begun before MS was another kind)
journal_at() {
        journal_ms "$1" | awk -v at="$2" -v n="$1" -v want="${3:-}" '
                $1 > at { exit }
                $2 == "run-start" { kind = $3; t0 = $1; ended = ""; split("", busy); fin = "" }
                $2 == "run-end" { ended = $4 }
                $2 == "step-apply" || $2 == "step-revert" { busy[$3] = 1 }
                $2 ~ /^step-(applied|reverted|failed|refused|rolled-back)$/ { delete busy[$3]; fin = fin " " $3 }
                END {
                        if (want != "" && kind != want) { print n ": its " want " had not begun"; exit }
                        if (kind == "") { print n ": no run yet"; exit }
                        if (ended != "") { print n ": its " kind " had ended (" ended ")"; exit }
                        b = ""; for (s in busy) b = b " " s
                        printf "%s: %s under way for %d ms, at%s (done:%s)\n", n, kind, at - t0, b == "" ? " a check" : b, fin == "" ? " none" : fin
                }'
}

# act_window: how long the activation that gave ACTIVE the role took (ms); 1000 when unknown
act_window() {
        local d
        d=$(run_ms "$ACTIVE" activate) && [ "$d" -gt 0 ] 2> /dev/null || d=1000
        echo "$d"
}
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# only_active NODE: NODE runs xcat-mn, as the cluster and xhafw say, and holds the VIP and the
# postmaster; the other node holds neither and, when it is on, says inactive
only_active() {
        local a=$1 b out
        b=$(other "$a")
        out=$(crm crm_mon -1 2> /dev/null) || return 1
        [ "$(grep -c 'xcat-mn.*Started' <<< "$out")" = 1 ] && started_on "$a" && vip_on "$a" && ! no_postgres "$a" &&
                no_vip "$b" && no_postgres "$b" && { ! holder "$b" > /dev/null || [ "$(xh_status "$b")" = 3 ]; }
}

# sampled: the checks of the sampler's log (sampler_start ... sampler_stop)
sampled() {
        local n
        n=$(grep -c . "$LAB/log/sampler.log" || true)
        check "never both nodes held the VIP ($n samples, every 100 ms)" eval '! grep -q "vip=11" "$LAB/log/sampler.log"'
        check "never both nodes ran a postmaster" eval '! grep -q "pg=11" "$LAB/log/sampler.log"'
        cp "$LAB/log/sampler.log" "$LAB/log/sampler-$1.log" 2> /dev/null || true
}

# fenced_ok NODE: the cluster's fencing history says NODE was turned off, and it is off
fenced_ok() { local out; out=$(crm stonith_admin --history "$1" 2>&1); grep -Eq "(off|reboot) of $1 successful" <<< "$out" && ! powered "$1"; }

# strike_in_start KIND NAME: the role is on ACTIVE; move it to the other node and, at a random moment
# of that node's activation, power it off through its BMC (KIND power) or have ACTIVE fence it through
# the cluster (KIND fence: stonith_admin --fence). ACTIVE fences it (or has), and takes the role back.
# A fence request takes about a second to power the node off, longer than the lab's whole activation
# (its services are marker files): for KIND fence the node's xcatd takes START_DELAY seconds to
# start, as a real one does, and the request comes at a random moment of the first part of that.
START_DELAY=3
strike_in_start() {
        local kind=$1 a=$ACTIVE b d delay before t_hit t_off t_sql
        b=$(other "$a")
        d=$(act_window)
        if [ "$kind" = fence ]; then
                echo "$START_DELAY" > "$LAB/nodes/$b/svc/xcatd.start-delay"
                d=$((d + START_DELAY * 1000 - 1500))
        fi
        delay=$((RANDOM % d))
        before=$(journal_runs "$b" activate)
        sampler_start 300
        must "crm_resource --move -r xcat-mn -N $b" eval "crm crm_resource --move -r xcat-mn -N $b > /dev/null 2>&1" || { sampler_stop; return 1; }
        must "$b's start is under way (a new activate run in its xhafw journal)" wait_run "$b" activate "$before" "$START_LIMIT" ||
                { sampler_stop; return 1; }
        sleep_ms "$delay"
        t_hit=$(now_ms)
        if [ "$kind" = power ]; then
                must "$b loses power $delay ms into its activation (the last one took $d ms)" cl_power "$b" off || { sampler_stop; return 1; }
        else
                must "$a fences $b $delay ms into its activation (stonith_admin --fence $b; the last activation took $d ms)" \
                        eval "on $a timeout 60 stonith_admin --fence $b > '$LAB/log/stonith_admin.out' 2>&1" ||
                        { sed 's/^/        | /' "$LAB/log/stonith_admin.out"; sampler_stop; return 1; }
        fi
        t_off=$(power_ms "$b" off "$t_hit") || t_off=$(now_ms)
        rm -f "$LAB/nodes/$b/svc/xcatd.start-delay"
        [ "$kind" = power ] || fig "the fence request to $b's power off" "$((t_off - t_hit)) ms"
        fig "where $b's start was when its power went ($((t_off - RUN_T0)) ms after its run began)" "$(journal_at "$b" "$t_off" activate)"
        must "$b is fenced and xcat-mn runs on $a again" wait_until "$START_LIMIT" "xcat-mn on $a" started_on "$a" || { sampler_stop; return 1; }
        fig "$b's power off to the role started on $a" "$(($(now_ms) - t_off)) ms"
        must "cn1's rows commit again through the VIP" wait_until 30 "a row committed after $b's power off" first_commit_after "$t_off" ||
                { sampler_stop; return 1; }
        t_sql=$(first_commit_after "$t_off")
        fig "$b's power off to the VIP answering SQL again" "$((t_sql - t_off)) ms"
        check "the cluster's fencing history says $b was turned off, and it is off" fenced_ok "$b"
        check "crm_resource --clear -r xcat-mn" eval "crm crm_resource --clear -r xcat-mn > /dev/null 2>&1"
        check "only $a is active: crm_mon, xhafw status, the VIP, the postmaster" only_active "$a"
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
        FENCED=$b
        scenario_g || { sampler_stop; return 1; }
        sampler_stop
        sampled "$2"
        check "after $b's rejoin, only $a is active" only_active "$a"
}

scenario_h() {
        say ""
        say "== h: power loss of the node being activated: a planned move of the role from $ACTIVE, and the other node's BMC"
        say "   powers it off at a random moment of its activation; $ACTIVE fences it and takes the role back"
        strike_in_start power h
}

scenario_i() {
        local a=$ACTIVE b d delay before t_off t_hit t_sql t0 w
        b=$(other "$a")
        say ""
        say "== i: fencing in the middle of a start: $a fences $b (stonith_admin --fence) at a random moment of $b's activation"
        strike_in_start fence i || return 1
        a=$ACTIVE
        b=$(other "$a")
        say ""
        say "== i (2): the survivor's start is cut short: $a loses power, and $b loses its own at a random moment of the"
        say "   activation that follows; both power on again, the cluster forms and one node takes the role"
        d=$(act_window)
        delay=$((RANDOM % d))
        before=$(journal_runs "$b" activate)
        sampler_start 300
        must "$a loses power (its BMC)" cl_power "$a" off || { sampler_stop; return 1; }
        must "$b fences $a and begins its start (a new activate run in its xhafw journal)" wait_run "$b" activate "$before" "$START_LIMIT" ||
                { sampler_stop; return 1; }
        sleep_ms "$delay"
        t_hit=$(now_ms)
        must "$b loses power $delay ms into its activation (the last one took $d ms)" cl_power "$b" off || { sampler_stop; return 1; }
        t_off=$(power_ms "$b" off "$t_hit") || t_off=$(now_ms)
        fig "where $b's start was when its power went ($((t_off - RUN_T0)) ms after its run began)" "$(journal_at "$b" "$t_off" activate)"
        check "nothing holds the VIP while both are off" eval "sleep 1; no_vip mn1 && no_vip mn2"
        t0=$(now_ms)
        must "mn1 and mn2 power on (IPMI)" eval "cl_power mn1 on && cl_power mn2 on" || { sampler_stop; return 1; }
        must "both nodes online in the cluster" wait_until "$FORM_LIMIT" "both nodes online" both_online || { sampler_stop; return 1; }
        fig "power on to both nodes online" "$(($(now_ms) - t0)) ms"
        must "xcat-mn starts on one node" wait_until "$START_LIMIT" "xcat-mn to start" eval '[ -n "$(where)" ] && started_on "$(where)"' ||
                { sampler_stop; return 1; }
        w=$(where)
        ACTIVE=$w
        fig "power on to the role started (on $w)" "$(($(now_ms) - t0)) ms"
        must "cn1's rows commit again through the VIP" wait_until 30 "a row committed after the power on" first_commit_after "$t0" ||
                { sampler_stop; return 1; }
        t_sql=$(first_commit_after "$t0")
        fig "power on to the VIP answering SQL again" "$((t_sql - t0)) ms"
        check "$(other "$w")'s probe of xcat-mn reports not running (rc 7)" wait_until 60 "the probe on $(other "$w")" \
                eval '[ "$(probe_rc '"$(other "$w")"')" = 7 ]'
        sampler_stop
        sampled i2
        check "only $w is active: crm_mon, xhafw status, the VIP, the postmaster" only_active "$w"
        check "no failed action in the cluster's status" eval '! crm crm_mon -1 | grep -q "Failed Resource Actions"'
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
}

scenario_j() {
        local a=$ACTIVE b d delay t_cut loser winner before_a
        b=$(other "$a")
        say ""
        say "== j: a partition during a planned move: --move from $a to $b, and at a random moment of the move the"
        say "   switch stops forwarding both cluster links of $a; one node fences the other, the survivor ends with the role"
        # the move: the stop on a (about half as long as an activation), then the start on b; every
        # other time on average, the cut comes within the stop, where a still holds part of the role
        d=$(act_window)
        if [ $((RANDOM % 2)) = 1 ]; then d=$((d * 2 + 300)); else d=$((d / 2 + 1)); fi
        delay=$((RANDOM % d))
        before_a=$(journal_runs "$a" deactivate)
        sampler_start 300
        must "crm_resource --move -r xcat-mn -N $b" eval "crm crm_resource --move -r xcat-mn -N $b > /dev/null 2>&1" || { sampler_stop; return 1; }
        must "$a's stop is under way (a new deactivate run in its xhafw journal)" wait_run "$a" deactivate "$before_a" "$START_LIMIT" ||
                { sampler_stop; return 1; }
        sleep_ms "$delay"
        cl_cut "$a"
        t_cut=$(now_ms)
        say "  ....  $delay ms after $a's stop began (of a window of $d ms), $a's two cluster links stop forwarding"
        fig "where the move was at the cut" "$(journal_at "$a" "$t_cut" deactivate); $(journal_at "$b" "$t_cut" activate)"
        must "one node is powered off by the other's fencing" wait_until 90 "a node powered off" eval '! powered mn1 || ! powered mn2' ||
                { cl_uncut "$a"; sampler_stop; return 1; }
        if powered "$a"; then loser=$b; else loser=$a; fi
        winner=$(other "$loser")
        fig "cut to $loser fenced" "$(($(power_ms "$loser" off "$t_cut" || now_ms) - t_cut)) ms"
        check "the other, $winner, is not fenced: it stays on" eval "sleep 3; powered $winner"
        cl_uncut "$a"
        say "  ....  $a's ports forward again"
        must "xcat-mn runs on $winner" wait_until "$START_LIMIT" "xcat-mn on $winner" started_on "$winner" || { sampler_stop; return 1; }
        fig "cut to the role started on $winner" "$(($(now_ms) - t_cut)) ms"
        ACTIVE=$winner
        check "crm_resource --clear -r xcat-mn" eval "crm crm_resource --clear -r xcat-mn > /dev/null 2>&1"
        check "the cluster's fencing history says $loser was turned off, and it is off" fenced_ok "$loser"
        check "cn1's rows commit again" more_rows 10 30
        check "only $winner is active: crm_mon, xhafw status, the VIP, the postmaster" only_active "$winner"
        check "cn1 reads every committed row" rows_ok
        fig "rows" "written $WROTE, read $READ, lost $LOST"
        FENCED=$loser
        scenario_g || { sampler_stop; return 1; }
        sampler_stop
        sampled j
        check "after $loser's rejoin, only $winner is active" only_active "$winner"
}

cl_verdict() {
        say ""
        if [ ${#FAILED[@]} = 0 ]; then
                say "CLUSTER PASSED: $CHECKS checks; power loss ${FIG_C:-?}, planned move outage ${FIG_B_OUT:-?} ms, rows ${FIG_ROWS:-?}"
                return 0
        fi
        say "CLUSTER FAILED: ${#FAILED[@]} of $CHECKS checks failed (first: ${FAILED[0]}); power loss ${FIG_C:-?}, rows ${FIG_ROWS:-?}"
        return 1
}

cl_keep_logs() {
        local n
        [ -n "${XHLAB_LOGS:-}" ] && [ -d "$LAB" ] || return 0
        mkdir -p "$XHLAB_LOGS"
        cp -r "$LAB/log/." "$XHLAB_LOGS/" 2> /dev/null || true
        cp "$LAB/writer.out" "$XHLAB_LOGS/" 2> /dev/null || true
        for n in "${CL_NODES[@]}"; do
                mkdir -p "$XHLAB_LOGS/$n"
                cp -r "$LAB/nodes/$n/log/." "$LAB/nodes/$n/cluster/var-log-pacemaker/." "$LAB/nodes/$n/cluster/var-log-corosync/." \
                        "$LAB/nodes/$n/svc/calls" "$LAB/nodes/$n/state/journal" "$XHLAB_LOGS/$n/" 2> /dev/null || true
        done
        say "  (logs kept in $XHLAB_LOGS)"
}

# ---------------------------------------------------------------- commands

# cl_run SCENARIO...: each in turn; c, d and f leave a node off, g powers it on again (h, i and j
# include their own g)
cl_run() {
        local s
        for s in "$@"; do
                "scenario_$s" || return 1
                case $s in c | d | f) scenario_g || return 1 ;; esac
        done
}

# cl_scenarios: a, then XHLAB_SCENARIOS (names, in order, repeats allowed) or the default set: b, c
# (FULL=1: d, e, f and the failures in the middle of a start or a move, h, i, j)
cl_scenarios() {
        local seed=${XHLAB_SEED:-$((($$ + $(date +%s)) % 32768))}
        RANDOM=$seed
        [[ "${XHLAB_SCENARIOS:-} ${FULL:-0}" != *[hij]* ]] && [ "${FULL:-0}" = 0 ] ||
                say "== the random moments of h, i and j come from seed $seed (XHLAB_SEED=$seed repeats them)"
        scenario_a || return 1
        if [ -n "${XHLAB_SCENARIOS:-}" ]; then
                # shellcheck disable=SC2086 # a list of names, checked by cluster_main
                cl_run $XHLAB_SCENARIOS
                return
        fi
        cl_run b c || return 1
        [ -n "${FULL:-}" ] && [ "${FULL:-0}" != 0 ] || return 0
        cl_run d e f h i j
}

cl_demo() {
        local rc=0 t0 left
        # only root here: on a fresh machine the tools come with install-deps, checked after it
        [ "$(id -u)" = 0 ] || die "run as root: the lab makes namespaces, mounts, a cluster and a PostgreSQL server"
        lab_lock
        if [ -z "${XHAFW:-}" ]; then
                say "== installing what the lab needs (contrib/install-deps)"
                "$LAB_SRC/contrib/install-deps"
                cl_need_tools
                find_binaries build
        else
                cl_need_tools
                find_binaries
        fi
        ! lab_alive || die "a lab is up: 'xhafw-lab cluster down' first"
        [ -z "$(cl_leftovers)" ] || { say "== what a previous lab left behind: removing it"; cl_down || true; }
        exec 3>&1
        trap 'rc=$?; exec 1>&3; say ""; say "CLUSTER FAILED: the lab stopped at an error or a signal (exit $rc)"; cl_keep_logs; cl_down > /dev/null 2>&1 || true; exit 1' EXIT
        trap 'exit 130' INT TERM
        t0=$(now_ms)
        cl_site_up
        if ! cl_scenarios; then
                bad "the run stopped early"
                cl_keep_logs
                [ -z "${XHLAB_KEEP:-}" ] || { say "XHLAB_KEEP is set: the lab stays up ('xhafw-lab cluster down' removes it)"; trap - EXIT; cl_verdict; return 1; }
        fi
        writer_stop
        committed
        rows_all_read || true
        FIG_ROWS="written $WROTE, read $READ, lost $LOST"
        check "at the end, cn1 reads every row it committed ($FIG_ROWS)" [ "$LOST" = 0 ]
        say ""
        say "== teardown"
        cl_keep_logs
        cl_down || true
        trap - EXIT
        left=$(cl_leftovers)
        check "teardown left no namespace, mount, process or directory behind" [ -z "$left" ]
        [ -z "$left" ] || printf '        | %s\n' "$left"
        figure "whole cluster lab run" "$(($(now_ms) - t0)) ms"
        cl_verdict || rc=1
        return $rc
}

cl_up() {
        cl_need_tools
        lab_lock
        ! lab_alive || die "a lab is up: 'xhafw-lab cluster down' first"
        [ -z "$(cl_leftovers)" ] || { say "== what a previous lab left behind: removing it"; cl_down || true; }
        if [ -z "${XHAFW:-}" ]; then find_binaries build; else find_binaries; fi
        trap 'say "xhafw-lab: cluster up failed, removing what was made"; cl_down || true' EXIT
        cl_site_up
        scenario_a || die "the cluster did not start the role"
        trap - EXIT
        say ""
        say "The cluster is up; $ACTIVE runs xcat-mn and cn1 writes rows through the VIP. Try:"
        say "  $0 cluster status"
        say "  $0 cluster exec $ACTIVE crm_mon -1"
        say "  $0 cluster power-off $ACTIVE        # power loss; then: $0 cluster power-on $ACTIVE"
        say "  $0 cluster cut $ACTIVE              # both cluster links down (uncut: up again)"
        say "  $0 cluster down"
}

cl_status() {
        local n s rc
        load_env
        n=$(any_node) && on "$n" crm_mon -1 -r -f 2>&1 | sed 's/^/    /' || say "no node's pacemaker answers"
        for n in "${CL_NODES[@]}"; do
                if powered "$n"; then s=on; else s=off; fi
                rc=-
                holder "$n" > /dev/null && rc=$(xh_status "$n")
                case $rc in 0) rc=active ;; 3) rc=inactive ;; 4) rc=mixed ;; -) ;; *) rc="exit $rc" ;; esac
                say "$n: power $s (${BMC[$n]} ${BMC_ADDR[${BMC[$n]}]}), xhafw status $rc, VIP $(vip_on "$n" && echo held || echo -)"
        done
        if [ -s "$LAB/writer.out" ] && committed && read_rows; then
                say "rows through the VIP: committed $WROTE, read $READ, lost $LOST"
        else
                say "rows through the VIP: cannot read (no server answers on $VIP?)"
        fi
}

cluster_main() {
        local cmd=${1:-}
        shift || true
        case "$cmd" in
        demo) cl_demo ;;
        scenario)
                [ $# -ge 1 ] || die "usage: xhafw-lab cluster scenario NAME... (b to j; a always runs first)"
                for s in "$@"; do [[ $s == [b-j] ]] || die "no scenario '$s' (b to j; a always runs first)"; done
                XHLAB_SCENARIOS="$*" cl_demo ;;
        up) cl_up ;;
        bench) . "$LAB_DIR/cluster-bench.sh"; cl_bench "$@" ;;
        status) cl_status ;;
        power-off | power-on)
                [ $# = 1 ] && [[ $1 == mn[12] ]] || die "usage: xhafw-lab cluster $cmd mn1|mn2"
                load_env
                cl_power "$1" "${cmd#power-}" && say "$1: ${NOTE:-done}" ;;
        cut | uncut)
                [ $# = 1 ] && [[ $1 == mn[12] ]] || die "usage: xhafw-lab cluster $cmd mn1|mn2"
                load_env
                "cl_$cmd" "$1" && say "$1: both cluster links $([ "$cmd" = cut ] && echo down || echo up)" ;;
        exec) [ $# -ge 2 ] || die "usage: xhafw-lab cluster exec NODE CMD..."; load_env; on "$@" ;;
        down) cl_need_tools; lab_lock; cl_down && say "the cluster lab is down: nothing left" || { cl_leftovers; die "some things could not be removed"; } ;;
        *) sed -n '7,20p' "$LAB_DIR/cluster.sh" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
        esac
}
