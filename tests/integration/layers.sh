#!/bin/bash
# Configuration layers, as systemd's: the shipped step files (vendor_conf_d), the site's (conf_d)
# masking them by name (an empty file or a link to /dev/null disables one), a site file that sets
# keys of a shipped step, drop-ins STEP.conf.d/*.conf in name order, and cat-config naming the
# file and line of every key. Errors name the winning file and line; --conf-d reads one directory.
source "$(dirname "$0")/lib.sh"

V=$T/vendor
S=$T/site
mkdir -p "$V" "$S"
xh_config "conf_d=$S" "vendor_conf_d=$V"
printf '[a]\nplugin = fake\ntarget = %s/a.on\ncheck_mode = ok\n' "$T" > "$V/10-a.conf"
printf '[b]\nplugin = fake\nafter = a\ninvalid = yes\ncontent = shipped\n' > "$V/20-b.conf"
printf '[c]\nplugin = fake\ntarget = %s/c.on\n' "$T" > "$V/30-c.conf"

# 1. The shipped b is refused as it is (invalid = yes stands for a site value left to fill in):
# the site fills it in with a file of its own.
expect_exit 2 xh validate
expect_output "step b: plugin fake refused the configuration"
printf '# the site values\n[b]\ninvalid = no\ntarget = %s/b.on\n' "$T" > "$S/50-site.conf"
expect_exit 0 xh validate
expect_output "configuration is valid: 3 steps"
expect_exit 0 xh cat-config
expect_output "^target +=  ?$T/b.on +; $S/50-site.conf:4$"
expect_output "^content += shipped +; $V/20-b.conf:5$"
pass "a site file sets keys of a shipped step; cat-config names the file and line of each"

# 2. A drop-in overrides both; the later drop-in (by name) wins; cat-config says which.
mkdir -p "$S/b.conf.d"
printf '[b]\ncontent = from the first drop-in\ncritical = no\n' > "$S/b.conf.d/10-first.conf"
printf '[b]\ncontent = from the second drop-in\n' > "$S/b.conf.d/20-second.conf"
expect_exit 0 xh cat-config
expect_output "^content += from the second drop-in +; $S/b.conf.d/20-second.conf:2$"
# the core keys too: each with where it was read, or default
expect_output "^critical += no +; $S/b.conf.d/10-first.conf:3$"
expect_output "^plugin += fake +; $V/20-b.conf:[0-9]+$"
expect_output "^enabled += yes +; default$"
expect_exit 0 xh describe b
expect_output "content .*from the second drop-in +\($S/b.conf.d/20-second.conf:2\)$"
expect_exit 0 xh --json describe b
expect_output "\"content\": *\"$S/b.conf.d/20-second.conf:2\""
pass "drop-ins: read in name order, the last wins; cat-config names the origin of the core keys too"

# 3. A wrong value in a drop-in is named with the drop-in's file and line.
printf '[b]\ncritical = maybe\n' > "$S/b.conf.d/30-bad.conf"
expect_exit 2 xh validate
expect_output "$S/b.conf.d/30-bad.conf:2: step b: critical = 'maybe'"
rm "$S/b.conf.d/30-bad.conf"
# a drop-in for a step that does not exist: an error naming the drop-in and where steps come from
mkdir -p "$S/nosuch.conf.d"
printf '[nosuch]\ntarget = /x\n' > "$S/nosuch.conf.d/10-x.conf"
expect_exit 2 xh validate
expect_output "$S/nosuch.conf.d/10-x.conf:1: step nosuch: a drop-in for a step that is defined nowhere.*$V.*$S"
rm -r "$S/nosuch.conf.d"
# a drop-in may set keys of its own directory's step only
mkdir -p "$S/c.conf.d"
printf '[a]\nenabled = no\n' > "$S/c.conf.d/10-wrong.conf"
expect_exit 2 xh validate
expect_output "$S/c.conf.d/10-wrong.conf:1: step a: a drop-in in c.conf.d may set keys of \\[c\\] only"
rm -r "$S/c.conf.d"
pass "errors in drop-ins name the drop-in's file and line; a drop-in for no step, or another step, is an error"

# 4. Masks: a site file of the same name replaces the shipped one; empty or /dev/null disables it.
printf '[c]\nplugin = fake\ntarget = %s/c-site.on\n' "$T" > "$S/30-c.conf"
expect_exit 0 xh cat-config
expect_output "^target += $T/c-site.on +; $S/30-c.conf:3$"
: > "$S/30-c.conf"
expect_exit 0 xh validate
expect_output "configuration is valid: 2 steps"
rm "$S/30-c.conf"
ln -s /dev/null "$S/30-c.conf"
expect_exit 0 xh validate
expect_output "configuration is valid: 2 steps"
rm "$S/30-c.conf"
pass "a site file masks the shipped one of its name; empty or a link to /dev/null disables it"

# 5. The same new step in two site files is still defined twice; a run works on the layers.
printf '[d]\nplugin = fake\ntarget = %s/d.on\n' "$T" > "$S/60-d.conf"
printf '[d]\nplugin = fake\ntarget = %s/d2.on\n' "$T" > "$S/61-d.conf"
expect_exit 2 xh validate
expect_output "$S/61-d.conf:1: step d: defined twice: also in $S/60-d.conf:1"
rm "$S/61-d.conf"
expect_exit 0 xh activate --yes
[ -e "$T/a.on" ] && [ -e "$T/b.on" ] && [ -e "$T/c.on" ] && [ -e "$T/d.on" ] || fail "activate on the layers"
expect_exit 0 xh -q deactivate --yes
pass "a step defined twice in the site's files is an error; activate and deactivate run on the layers"

# 6. --conf-d (and conf_d alone) read one directory: no shipped layer.
expect_exit 2 "$XHAFW" --config "$T/xhafw.conf" --conf-d "$S" validate
expect_output "step b: required option 'plugin'|plugin 'b' not found|step b:"
expect_exit 0 "$XHAFW" --config "$T/xhafw.conf" --conf-d "$V" cat-config
expect_output "conf.d read alone"
pass "--conf-d reads one directory alone"
