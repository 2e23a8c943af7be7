#!/usr/bin/env bash
# Debian packages the tests drive as a user would: kcat (a librdkafka producer, for the codec
# tests), Chromium with its driver (the analysts' page in a real browser), and npm, which installs
# the page's chart and graph libraries from deploy/web/package-lock.json. Installed only when
# missing; needs root or sudo, as on the project's machines.
set -euo pipefail
packages=(kcat chromium chromium-driver npm)
commands=(kcat chromium chromedriver npm)
missing=()
for i in "${!packages[@]}"; do
  command -v "${commands[$i]}" >/dev/null 2>&1 || missing+=("${packages[$i]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-packages: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
