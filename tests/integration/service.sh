#!/bin/bash
# The service plugin with the test service manager: start and readiness, stop, a readiness
# command that never answers, a service manager that fails.
source "$(dirname "$0")/lib.sh"
svc="$XHAFW_SOURCE_ROOT/tests/integration/svcman.sh"
xh_config "service_manager=$svc, $T/svc" "path=$T/bin:/usr/bin:/bin"
mkdir -p "$T/bin"
# a readiness query that answers once the unit is active
cat > "$T/bin/ready-query" <<Q
#!/bin/bash
[ -e "$T/svc/xcatd.active" ]
Q
chmod 755 "$T/bin/ready-query"
cat > "$T/conf.d/50-xcatd.conf" <<CONF
[xcatd]
plugin = service
unit = xcatd
ready_command = ready-query, -a
ready_timeout = 2s
timeout = 10s
CONF

expect_exit 3 xh status
expect_exit 0 xh activate --yes
[ -e "$T/svc/xcatd.active" ] || fail "xcatd not started"
grep -q "^start xcatd" "$T/svc/calls" || fail "no start call"
expect_exit 0 xh status
expect_exit 0 xh activate --yes
expect_output "1 already active"
expect_exit 0 xh deactivate --yes
[ ! -e "$T/svc/xcatd.active" ] || fail "xcatd not stopped"
expect_exit 0 xh deactivate --yes
pass "start, ready, stop, idempotent both ways"

expect_exit 0 xh activate --dry-run
expect_output "would run: $svc $T/svc start xcatd"
[ ! -e "$T/svc/xcatd.active" ] || fail "dry-run started xcatd"
pass "dry-run prints the service manager command and starts nothing"

# readiness never comes: the step fails after ready_timeout and is rolled back (stopped)
printf '#!/bin/bash\nexit 1\n' > "$T/bin/ready-query"
expect_exit 1 xh activate --yes
expect_output "did not answer within ready_timeout"
[ ! -e "$T/svc/xcatd.active" ] || fail "not rolled back"
pass "a service that never answers fails and is stopped again"

# the service manager fails to start it
touch "$T/svc/xcatd.fail-start"
expect_exit 1 xh activate --yes
expect_output "starting xcatd failed \(service manager exit status 1\)"
rm -f "$T/svc/xcatd.fail-start"
pass "a failing start is reported with the status of the service manager"
