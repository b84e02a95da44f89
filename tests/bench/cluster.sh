#!/bin/bash
# Benchmark of the xcat-mn resource against the classic configuration of the same job (a group of
# Filesystem, IPaddr2, pgsql and one resource per xCAT service), in the same two-node Pacemaker cluster
# of the lab and the same run: `xhafw-lab cluster bench ROUNDS` against this build. Prints each
# round's power loss (to SQL answering through the VIP) and planned-move outage (seen by the writer),
# and the medians. About 2 minutes a round; not run by CI. Root; docs/benchmarks.md has the figures.
# Usage: XHAFW=build/core/xhafw XHAFW_TEST_PLUGIN_PATH=build/plugins/vip:... bash tests/bench/cluster.sh [ROUNDS]
#    or: bash tests/bench/cluster.sh [ROUNDS]   (builds this tree in build-lab)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || { echo "ROUNDS must be 1 to 20" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
if [ -n "${XHAFW:-}" ] && [ -z "${XHAFW_TEST_PLUGIN_PATH:-}" ]; then
        # the plugins of XHAFW's build tree
        build=$(cd "$(dirname "$XHAFW")/.." && pwd)
        XHAFW_TEST_PLUGIN_PATH=$(find "$build/plugins" -mindepth 1 -maxdepth 1 -type d | sort | paste -sd: -)
        export XHAFW_TEST_PLUGIN_PATH
fi
exec "$src/contrib/lab/xhafw-lab" cluster bench "$rounds"
