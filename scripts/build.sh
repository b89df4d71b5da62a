#!/usr/bin/env bash
# Configure and build into ./build (warnings are errors when CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DSM_WERROR="$werror" >/dev/null
cmake --build build -j"$(nproc)"
