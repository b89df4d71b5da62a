#!/usr/bin/env bash
# Install the Debian packages syncmgr builds and tests with, when missing.
set -euo pipefail

PKGS=(build-essential cmake pkg-config libnng-dev libmsgpack-dev libsodium-dev
      libjansson-dev uthash-dev libinih-dev libsystemd-dev zlib1g-dev check
      dpkg-dev file systemd   # these three: the .deb test (dpkg-shlibdeps, systemd-analyze)
      openssl)                # test certificates for tls+tcp:// (it_security)
# scripts/run-tests' sanitizer and fuzzing tree: clang, libFuzzer and the ASan/UBSan runtimes
PKGS+=(clang libclang-rt-14-dev)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "syncmgr: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
