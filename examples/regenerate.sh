#!/usr/bin/env bash
# Rewrites every trace in examples/ with the command examples/README.md gives for it
# (run after a model change; `npm run examples`).
set -euo pipefail
cd "$(dirname "$0")/.."
# the sources, as the tests run them (no build needed)
run() { node --import tsx src/cli/run.ts check --quiet "$@" > /dev/null || [ $? -eq 1 ]; }
run --design arm64-rfcv1 --seed 1 --trace-out examples/arm64-rfcv1-no-kick.json
run --design arm64-rfcv1 --mode exhaustive --property single-slot --trace-out examples/arm64-rfcv1-elr-clobbered.json
run --design arm64-rfcv1 --timer-exits --mode exhaustive --trace-out examples/arm64-rfcv1-self-deadlock.json
run --design arm64-rfcv1 --async-pf-sync --mode exhaustive --trace-out examples/arm64-rfcv1-async-pf-sync.json
run --design arm64-rfcv1 --send-always --mode exhaustive --trace-out examples/arm64-rfcv1-send-always.json
run --design x86-legacy --seed 1 --trace-out examples/x86-legacy-no-kick.json
run --design x86 --hotplug --mode exhaustive --trace-out examples/x86-hotplug-stale-token.json
run --design s390-pfault --vcpus 2 --tasks 2 --pages 2 --mode exhaustive --trace-out examples/s390-pfault-unreaped-done.json
run --design-file examples/designs/x86-no-ack.json --pages 2 --mode exhaustive --trace-out examples/x86-no-ack-lost-wakeup.json
