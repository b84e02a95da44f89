# The cluster lab's benchmark, sourced by cluster.sh for `xhafw-lab cluster bench [ROUNDS]`: in the same
# cluster and the same run, the xcat-mn resource against the same job configured the way a site would
# otherwise write it, after the xCAT DRBD/NFS HA guides: one group `xcat-classic` of Filesystem resources
# for the shared disk and each shared path (bind mounts, as the storage step makes them), IPaddr2 for
# the VIP (label eth0:0), ocf:heartbeat:pgsql for the database and one resource per xCAT service
# (ocf:xhlab:svc, contrib/lab/lab-svc-ocf, over the lab's service manager), started in that order.
# Each round measures, for each setup in turn, a planned move (crm_resource --move, the writer's
# longest gap between two committed rows) and the power loss of the active node (to the first row
# committed through the VIP after it), then powers the node on again; the table gives every round and
# the medians. Only one of the two setups runs at a time (target-role). Not a test: docs/benchmarks.md.

# the classic group's members, in their start order; CL_FS: the Filesystem members and their paths
CL_FS=(disk "${SHARED_PATHS[@]}")
CL_SVCS=(xcatd named dhcpd chronyd conserver)
cl_fs_id() { local p=${1//\//-}; echo "c-fs-${p//./}"; }
classic_members() {
        local p
        for p in "${CL_FS[@]}"; do cl_fs_id "$p"; done
        echo c-ip c-pgsql
        for p in "${CL_SVCS[@]}"; do echo "c-$p"; done
}

# ops ID TIMEOUT: a member's operations; its monitor every MONITOR_INTERVAL, as xcat-mn's
ops() {
        echo "<operations>
    <op id='$1-start' name='start' interval='0' timeout='$2'/>
    <op id='$1-stop' name='stop' interval='0' timeout='$2'/>
    <op id='$1-monitor' name='monitor' interval='$MONITOR_INTERVAL' timeout='60s'/>
  </operations>"
}

# classic_xml: the group, created stopped
classic_xml() {
        local p id dev dir u x
        x="<group id='xcat-classic'>
  <meta_attributes id='xcat-classic-meta'>
    <nvpair id='xcat-classic-target-role' name='target-role' value='Stopped'/>
    <nvpair id='xcat-classic-stickiness' name='resource-stickiness' value='100'/>
    <nvpair id='xcat-classic-migration-threshold' name='migration-threshold' value='3'/>
    <nvpair id='xcat-classic-failure-timeout' name='failure-timeout' value='10min'/>
    <nvpair id='xcat-classic-priority' name='priority' value='10'/>
  </meta_attributes>"
        for p in "${CL_FS[@]}"; do
                id=$(cl_fs_id "$p")
                if [ "$p" = disk ]; then dev=$DISK dir=$MOUNTPOINT; else dev=$MOUNTPOINT$LOCAL/$p dir=$LOCAL/$p; fi
                x+="
  <primitive id='$id' class='ocf' provider='heartbeat' type='Filesystem'>
  <instance_attributes id='$id-params'>
    <nvpair id='$id-device' name='device' value='$dev'/>
    <nvpair id='$id-directory' name='directory' value='$dir'/>
    <nvpair id='$id-fstype' name='fstype' value='none'/>
    <nvpair id='$id-options' name='options' value='bind'/>
  </instance_attributes>
  $(ops "$id" 60s)
  </primitive>"
        done
        x+="
  <primitive id='c-ip' class='ocf' provider='heartbeat' type='IPaddr2'>
  <instance_attributes id='c-ip-params'>
    <nvpair id='c-ip-ip' name='ip' value='$VIP'/>
    <nvpair id='c-ip-cidr' name='cidr_netmask' value='24'/>
    <nvpair id='c-ip-nic' name='nic' value='eth0'/>
    <nvpair id='c-ip-label' name='iflabel' value='0'/>
  </instance_attributes>
  $(ops c-ip 20s)
  </primitive>
  <primitive id='c-pgsql' class='ocf' provider='heartbeat' type='pgsql'>
  <instance_attributes id='c-pgsql-params'>
    <nvpair id='c-pgsql-pgctl' name='pgctl' value='$PGBIN/pg_ctl'/>
    <nvpair id='c-pgsql-psql' name='psql' value='$PGBIN/psql'/>
    <nvpair id='c-pgsql-pgdata' name='pgdata' value='$DATA'/>
    <nvpair id='c-pgsql-pgport' name='pgport' value='$PGPORT'/>
    <nvpair id='c-pgsql-socketdir' name='socketdir' value='$LOCAL/run/postgresql'/>
    <nvpair id='c-pgsql-logfile' name='logfile' value='$LOCAL/log/postgresql-classic.log'/>
    <nvpair id='c-pgsql-start-opt' name='start_opt' value='-c listen_addresses=0.0.0.0 -c hba_file=$LOCAL/var/lib/pgsql/classic_hba.conf'/>
  </instance_attributes>
  $(ops c-pgsql 120s)
  </primitive>"
        for u in "${CL_SVCS[@]}"; do
                x+="
  <primitive id='c-$u' class='ocf' provider='xhlab' type='svc'>
  <instance_attributes id='c-$u-params'>
    <nvpair id='c-$u-unit' name='unit' value='$u'/>
    <nvpair id='c-$u-svcman' name='svcman' value='$LAB_DIR/lab-svcman'/>
    <nvpair id='c-$u-local' name='local' value='$LOCAL'/>
    <nvpair id='c-$u-pgbin' name='pgbin' value='$PGBIN'/>
    <nvpair id='c-$u-data' name='data' value='$DATA'/>
  </instance_attributes>
  $(ops "c-$u" 60s)
  </primitive>"
        done
        echo "$x
</group>"
}

# classic_setup: the classic group, created while nothing runs (its probes must not find xcat-mn's
# mounts and VIP on a node), its pg_hba on the shared disk, its mount points on both nodes
classic_setup() {
        local n m f=$DISK$LOCAL/var/lib/pgsql/classic_hba.conf
        install -o postgres -g postgres -m 0600 /dev/null "$f"
        printf 'local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all %s/32 scram-sha-256\n' \
                "${ADDR[cn1]}" > "$f"
        for n in "${CL_NODES[@]}"; do mkdir -p "$LAB/nodes/$n/xCATdata"; done
        crm cibadmin -C -o resources --xml-text "$(classic_xml)" > "$LAB/log/cibadmin-classic.out" 2>&1 ||
                { sed 's/^/        | /' "$LAB/log/cibadmin-classic.out"; return 1; }
        for n in "${CL_NODES[@]}"; do
                for m in $(classic_members); do
                        wait_until 60 "the probe of $m on $n" eval '[ "$(probe_rc_of '"$m $n"')" = 7 ]' || return 1
                done
        done
}

# probe_rc_of RESOURCE NODE: the rc-code of RESOURCE's probe on NODE in the CIB status
probe_rc_of() {
        crm cibadmin -Q --xpath "//node_state[@uname='$2']//lrm_resource[@id='$1']/lrm_rsc_op[@operation='monitor'][@interval='0']" 2> /dev/null |
                sed -n 's/.*rc-code="\([0-9]*\)".*/\1/p' | head -n 1
}

# on_node SETUP NODE: SETUP (xhafw, classic) runs entirely on NODE, as crm_mon says (and, for xhafw,
# xhafw status)
on_node() {
        local out m
        if [ "$1" = xhafw ]; then started_on "$2"; return; fi
        out=$(crm crm_mon -1 2> /dev/null) || return 1
        for m in $(classic_members); do grep -Eq "[* ]${m}[[:space:]].*Started $2\$" <<< "$out" || return 1; done
}
setup_where() { local n; for n in "${CL_NODES[@]}"; do on_node "$1" "$n" && { echo "$n"; return 0; }; done; return 1; }
# setup_stopped SETUP: nothing of SETUP runs, as crm_mon says (xhafw status is no judge: on the node
# that runs the classic group it sees the mounts, the VIP and the postmaster, and says mixed)
setup_stopped() {
        local out
        out=$(crm crm_mon -1 2> /dev/null) || return 1
        if [ "$1" = xhafw ]; then
                ! grep -Eq 'xcat-mn[[:space:]].*(Started|Stopping|Starting)' <<< "$out"
        else
                ! grep -Eq '[* ]c-[a-z-]+[[:space:]].*(Started|Stopping|Starting)' <<< "$out"
        fi
}
rsc_of() { [ "$1" = xhafw ] && echo xcat-mn || echo xcat-classic; }

# bench_use SETUP: the other one stopped, SETUP started on some node; BACTIVE
bench_use() {
        local s=$1 o
        [ "$s" = xhafw ] && o=classic || o=xhafw
        crm crm_resource -r "$(rsc_of "$o")" --meta -p target-role -v Stopped > /dev/null 2>&1 || true
        wait_until "$START_LIMIT" "$o stopped" setup_stopped "$o" || return 1
        if [ "$s" = classic ] && [ -z "$CLASSIC_MADE" ]; then
                classic_setup || return 1
                CLASSIC_MADE=1
        fi
        crm crm_resource -r "$(rsc_of "$s")" --meta -p target-role -v Started > /dev/null 2>&1 || return 1
        wait_until "$START_LIMIT" "$s started" setup_where "$s" || return 1
        BACTIVE=$(setup_where "$s")
        more_rows 5 30
}

declare -A BV=()
# bench_move SETUP ROUND: a planned move; BV[SETUP,move,R] (the writer's longest gap), BV[SETUP,movet,R]
bench_move() {
        local s=$1 r=$2 a=$BACTIVE b t0 t1
        b=$(other "$a")
        t0=$(now_ms)
        crm crm_resource --move -r "$(rsc_of "$s")" -N "$b" > /dev/null 2>&1 || return 1
        wait_until "$START_LIMIT" "$s on $b" on_node "$s" "$b" || return 1
        t1=$(now_ms)
        crm crm_resource --clear -r "$(rsc_of "$s")" > /dev/null 2>&1 || return 1
        more_rows 10 30 || return 1
        BV[$s,move,$r]=$(outage "$t0" "$(now_ms)")
        BV[$s,movet,$r]=$((t1 - t0))
        BACTIVE=$b
        say "  ----  round $r, $s: planned move to $b: outage ${BV[$s,move,$r]} ms (--move to started $((t1 - t0)) ms)"
}

# bench_power SETUP ROUND: power loss of the active node; BV[SETUP,power,R] (to a row committed through
# the VIP), BV[SETUP,act,R] (the fence confirmed to that row); then the node powers on and rejoins
bench_power() {
        local s=$1 r=$2 a=$BACTIVE b t t_off t_sql t_fenced t_all m
        b=$(other "$a")
        t=$(now_ms)
        cl_power "$a" off || return 1
        t_off=$(power_ms "$a" off "$t") || t_off=$(now_ms)
        wait_until "$START_LIMIT" "$s on $b" on_node "$s" "$b" || return 1
        wait_until 30 "a row committed after the power loss" first_commit_after "$t_off" || return 1
        t_sql=$(first_commit_after "$t_off")
        t_fenced=$(pcmk_ms "$b" "Operation '?(off|reboot)'? .*targeting $a.*OK" "$t_off") || t_fenced=$t_sql
        # the whole role: xcat-mn's start, or the start of the group's last member
        if [ "$s" = xhafw ]; then m=xcat-mn; else m=c-conserver; fi
        t_all=$(pcmk_ms "$b" "Result of start operation for $m on $b: ok" "$t_off") || t_all=$t_sql
        BV[$s,power,$r]=$((t_sql - t_off))
        BV[$s,fence,$r]=$((t_fenced - t_off))
        BV[$s,act,$r]=$((t_sql - t_fenced))
        BV[$s,all,$r]=$((t_all - t_fenced))
        BACTIVE=$b
        say "  ----  round $r, $s: power loss of $a: SQL through the VIP after ${BV[$s,power,$r]} ms (fence confirmed to SQL ${BV[$s,act,$r]} ms)"
        cl_power "$a" on || return 1
        wait_until "$FORM_LIMIT" "$a online" online "$a" || return 1
        wait_until 60 "the probes on $a" eval '[ "$(probe_rc_of '"$m $a"')" = 7 ]' || return 1
        on_node "$s" "$b"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

bench_table() {
        local rounds=$1 k s r line vals label
        say ""
        say "== cluster bench: $rounds rounds, ms (the same cluster and run; xcat-mn = ocf:xhafw:xhafw, classic = the group of 13)"
        say "   load average at the start: $BENCH_LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
        line=$(printf '%-64s' "")
        for ((r = 1; r <= rounds; r++)); do line+=$(printf ' %8s' "round $r"); done
        say "$line   median"
        for k in power fence act all move movet; do
                for s in xhafw classic; do
                        case $k in
                        power) label="power loss of the active node to SQL through the VIP" ;;
                        fence) label="  of which: power off to the fence confirmed" ;;
                        act) label="  of which: the fence confirmed to SQL" ;;
                        all) label="  the fence confirmed to the whole role started" ;;
                        move) label="planned move: outage seen by the writer" ;;
                        movet) label="  --move to the start reported" ;;
                        esac
                        line=$(printf '%-8s %-55s' "$([ "$s" = xhafw ] && echo xcat-mn || echo classic)" "$label")
                        vals=
                        for ((r = 1; r <= rounds; r++)); do
                                line+=$(printf ' %8s' "${BV[$s,$k,$r]:--}")
                                vals+="${BV[$s,$k,$r]:-}"$'\n'
                        done
                        say "$line $(printf '%8s' "$(grep . <<< "$vals" | median)")"
                done
        done
}

cl_bench() {
        local rounds=${1:-3} r s order rc=0 left
        [[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || die "usage: xhafw-lab cluster bench [ROUNDS: 1 to 20]"
        [ "$(id -u)" = 0 ] || die "run as root: the lab makes namespaces, mounts, a cluster and a PostgreSQL server"
        lab_lock
        cl_need_tools
        for s in Filesystem IPaddr2 pgsql; do
                [ -x "/usr/lib/ocf/resource.d/heartbeat/$s" ] || die "needs ocf:heartbeat:$s (package resource-agents)"
        done
        # what ocf:heartbeat:Filesystem checks for before it does anything
        for s in modprobe fuser fsck; do command -v "$s" > /dev/null || die "needs $s (contrib/install-deps: packages kmod, psmisc, util-linux)"; done
        if [ -z "${XHAFW:-}" ]; then find_binaries build; else find_binaries; fi
        ! lab_alive || die "a lab is up: 'xhafw-lab cluster down' first"
        [ -z "$(cl_leftovers)" ] || { say "== what a previous lab left behind: removing it"; cl_down || true; }
        exec 3>&1
        trap 'rc=$?; exec 1>&3; say ""; say "BENCH FAILED: the lab stopped at an error or a signal (exit $rc)"; cl_keep_logs; cl_down > /dev/null 2>&1 || true; exit 1' EXIT
        trap 'exit 130' INT TERM
        CLASSIC_MADE=
        BENCH_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
        cl_site_up
        scenario_a || exit 1
        BACTIVE=$ACTIVE
        for ((r = 1; r <= rounds; r++)); do
                # the order alternates, so that neither setup always follows the other's power cycle
                if [ $((r % 2)) = 1 ]; then order="xhafw classic"; else order="classic xhafw"; fi
                for s in $order; do
                        say ""
                        say "== round $r: $s"
                        must "$s runs on one node, the other setup stopped" bench_use "$s" || exit 1
                        must "$s: a planned move" bench_move "$s" "$r" || exit 1
                        must "$s: a power loss of the active node, and its return" bench_power "$s" "$r" || exit 1
                done
        done
        writer_stop
        committed
        rows_all_read || true
        FIG_ROWS="written $WROTE, read $READ, lost $LOST"
        check "at the end, cn1 reads every row it committed ($FIG_ROWS)" [ "$LOST" = 0 ]
        bench_table "$rounds"
        say ""
        say "== teardown"
        cl_keep_logs
        cl_down || true
        trap - EXIT
        left=$(cl_leftovers)
        check "teardown left no namespace, mount, process or directory behind" [ -z "$left" ]
        [ -z "$left" ] || { printf '        | %s\n' "$left"; rc=1; }
        [ ${#FAILED[@]} = 0 ] || rc=1
        return $rc
}
