#!/usr/bin/env bash
# Installs the Debian packages espq needs to build and test (only those missing), on Debian 12.
# Usage: tools/bootstrap.sh            (run as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libeigen3-dev libspdlog-dev libgtest-dev
  libflatbuffers-dev flatbuffers-compiler
  nlohmann-json3-dev libstb-dev zlib1g-dev nettle-dev libtbb-dev libzip-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bootstrap: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
    exit 1
  fi
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
