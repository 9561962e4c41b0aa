#!/usr/bin/env bash
# Installs the system packages descent's build and tests need, on Debian 12 (bookworm), as root.
#
# Contract: idempotent (safe to run again; it changes nothing the second time), needs root and
# the machine's configured Debian mirror. It installs
#   - cmake, g++, make, python3 (python3 for node-gyp, the fallback addon build),
#   - libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Debian 12's own Mesa 22.3 is
#     too old for Dawn: no adapter; the backports Mesa gives lavapipe, a software Vulkan device),
#   - dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist/),
#   - redis-server (descent worker / --redis; the tests start their own servers, none runs as a service).
# The backports entry is derived from the machine's own Debian sources (deb822
# /etc/apt/sources.list.d/debian.sources, or one-line /etc/apt/sources.list): the same URIs,
# components and keyring as the bookworm entry, with suite bookworm-backports. No mirror host
# name is written here.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system.sh: must run as root (try: sudo bash scripts/setup-system.sh)" >&2
  exit 1
fi

CODENAME=bookworm
BACKPORTS="${CODENAME}-backports"
DEB822=/etc/apt/sources.list.d/debian.sources
ONELINE=/etc/apt/sources.list
OUT822=/etc/apt/sources.list.d/descent-backports.sources
OUTLIST=/etc/apt/sources.list.d/descent-backports.list

have_backports() {
  grep -rqsE "(^|[[:space:]])${BACKPORTS}([[:space:]]|$)" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

# Prints the deb822 stanza that lists suite $CODENAME (not -security/-updates), with its Suites
# replaced by bookworm-backports and comment lines dropped.
derive_deb822() {
  awk -v want="$CODENAME" -v bp="$BACKPORTS" '
    function flush() {
      if (n > 0 && hit) { for (i = 1; i <= n; i++) print lines[i]; found = 1; exit }
      n = 0; hit = 0
    }
    /^[[:space:]]*$/ { flush(); next }
    /^[[:space:]]*#/ { next }
    {
      line = $0
      if (line ~ /^Suites:/) {
        split(substr(line, 8), s, /[[:space:]]+/)
        for (j in s) if (s[j] == want) hit = 1
        line = "Suites: " bp
      }
      lines[++n] = line
    }
    END { if (!found) flush() }
  ' "$1"
}

# Prints one-line entries for suite $CODENAME with the suite replaced by bookworm-backports.
derive_oneline() {
  awk -v want="$CODENAME" -v bp="$BACKPORTS" '
    /^[[:space:]]*deb[[:space:]]/ {
      # deb [options] URI suite components...
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; continue }
        uri = i; break
      }
      if ($(uri + 1) == want) { $(uri + 1) = bp; print; exit }
    }
  ' "$1"
}

if have_backports; then
  echo "setup-system.sh: ${BACKPORTS} already configured"
else
  entry=""
  if [ -f "$DEB822" ]; then
    entry="$(derive_deb822 "$DEB822")"
    target="$OUT822"
  fi
  if [ -z "$entry" ] && [ -f "$ONELINE" ]; then
    entry="$(derive_oneline "$ONELINE")"
    target="$OUTLIST"
  fi
  if [ -z "$entry" ]; then
    echo "setup-system.sh: found no '${CODENAME}' entry in $DEB822 or $ONELINE to derive a ${BACKPORTS} entry from." >&2
    echo "  Add a ${BACKPORTS} source for your Debian mirror by hand, then run this script again." >&2
    exit 1
  fi
  printf '%s\n' "$entry" > "$target"
  echo "setup-system.sh: wrote $target:"
  sed 's/^/  /' "$target"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends cmake g++ make python3 dataset-fashion-mnist
apt-get install -y -q --no-install-recommends redis-server
apt-get install -y -q --no-install-recommends -t "$BACKPORTS" libvulkan1 mesa-vulkan-drivers

echo "setup-system.sh: installed:"
dpkg-query -W -f='  ${Package} ${Version}\n' cmake g++ make python3 libvulkan1 mesa-vulkan-drivers dataset-fashion-mnist redis-server
