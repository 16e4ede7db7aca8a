#!/usr/bin/env bash
# Installs the Debian packages the test suites need (run as root; CI calls it from .ci/run).
#   softhsm2          PKCS#11 provider tests (provider-hsm) — SoftHSMv2 + softhsm2-util
#   ruby ruby-aws-sdk-s3 ruby-aws-sdk-kms   S3 Encryption Client V2 interop (s3)
#   awscli            AWS CLI against kms-local (kms-local)
#   chromium          renders the `strongroom compare --html` report in a test (cli)
#   openssl           `openssl speed` baseline in bench/core
#   iproute2          `ip netns` / veth / bridge for the cross-host cluster test (test/netns)
#   radosgw ceph-mon ceph-osd   Ceph RADOS Gateway, a real S3 implementation for the s3 suites and
#                     `strongroom dev --s3 rgw` (one monitor, one in-memory OSD; packages/testing startRgw)
#   util-linux        taskset, which pins bench/s3's server and client to different CPUs (BENCH_S3_PIN=1)
set -euo pipefail
PACKAGES=(softhsm2 ruby ruby-aws-sdk-s3 ruby-aws-sdk-kms awscli chromium openssl iproute2 radosgw ceph-mon ceph-osd util-linux)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${PACKAGES[*]})"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --force-unsafe-io: dpkg skips its fsync per unpacked file (the slow part of installing Ceph and
# Chromium on a fresh machine); a crash mid-install can leave a package to reinstall, nothing else.
$SUDO apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io "${missing[@]}"
