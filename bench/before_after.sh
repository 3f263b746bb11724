#!/usr/bin/env bash
# Run benchmarks on a past revision and on the working tree, alternately, in one run:
# figures moved by the machine's load fall on both sides alike.
#
#   bash bench/before_after.sh REV [ROUNDS] [BENCH...]
#
# REV is checked out as a git worktree in var/before-REV (no copy is committed); each
# BENCH (default: cadence sender webhook) runs ROUNDS times (default 2) on each side, before
# first, with its own database per side; the figures are in var/before-after/*.log.
# BENCH_DB_PREFIX (default empty) is put before each database's name, so that runs side by
# side on one PostgreSQL do not share databases.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

rev=${1:?usage: bench/before_after.sh REV [ROUNDS] [BENCH...]}
rounds=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(cadence sender webhook)

require_odoo
require_postgres
short=$(git -C "$ROOT" rev-parse --short "$rev")
before="$ROOT/var/before-$short"
out="$ROOT/var/before-after"
mkdir -p "$out"
if [ ! -d "$before" ]; then
    git -C "$ROOT" worktree add --detach "$before" "$short" >/dev/null
fi
mkdir -p "$before/var"  # older revisions' benchmarks expect it
# Both sides use this checkout's virtualenv (the same Odoo and libraries).
export VENV LINT_VENV

declare -A args=(
    [cadence]="--invoices ${CADENCE_INVOICES:-100000} --partners ${CADENCE_PARTNERS:-20000}"
    [sender]="--messages ${SENDER_MESSAGES:-20000}"
    [webhook]="--messages ${WEBHOOK_MESSAGES:-20000}"
)
for bench in "${benches[@]}"; do
    for round in $(seq 1 "$rounds"); do
        for side in before after; do
            tree=$ROOT
            [ "$side" = before ] && tree=$before
            log="$out/$bench-$side-$round.log"
            info "$bench, round $round, $side ($([ "$side" = before ] && echo "$short" || echo "working tree"))"
            # shellcheck disable=SC2086
            "$VENV/bin/python" "$tree/bench/bench_$bench.py" --database "${BENCH_DB_PREFIX:-}bench_${bench}_$side" \
                ${args[$bench]} >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "$bench ($side) failed: see $log"; }
            grep -E '/s|per second|MiB|p99|queries' "$log" | sed "s/^/    /"
        done
    done
done
