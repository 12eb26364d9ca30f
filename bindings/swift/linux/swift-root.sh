#!/usr/bin/env bash
# Provisions (once) and enters a Debian trixie root with Swift 6 (`swiftlang`: swift, XCTest,
# Foundation), for building and testing the Swift binding on this Debian bookworm machine,
# which packages no Swift of its own. macOS, or Linux with `swift` on PATH, needs none of it.
#
#   swift-root.sh provision        # debootstrap + apt-get install swiftlang (~5 min, ~2 GB, once)
#   swift-root.sh run DIR CMD...   # run CMD in the root with DIR bind-mounted at /src
#
# The root lives outside the repository, in $TELEPORT_JWT_SWIFT_ROOT (default
# ~/.cache/teleport-jwt/swift-trixie), and is reused by every later run. Needs root (chroot,
# mount) and Debian's mirror through apt.
set -euo pipefail

ROOT="${TELEPORT_JWT_SWIFT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/teleport-jwt/swift-trixie}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STAMP="$ROOT/.swiftlang-installed"

provision() {
  [ -f "$STAMP" ] && return 0
  mkdir -p "$(dirname "$ROOT")"
  # One provisioning at a time (parallel worktrees or jobs); a waiter finds the stamp after.
  exec 9>"$ROOT.lock"
  flock 9
  [ -f "$STAMP" ] && return 0
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    rm -rf "$ROOT.partial"
    debootstrap --variant=minbase trixie "$ROOT.partial" "$MIRROR" >/dev/null
    mv "$ROOT.partial" "$ROOT"
  fi
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  chroot "$ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev libcurl4 ca-certificates >/dev/null'
  chroot "$ROOT" test -x /usr/bin/swift || { echo "swift-root: swiftlang did not install swift" >&2; exit 1; }
  touch "$STAMP"
}

# Runs CMD in the root with /proc, /dev and the source tree mounted, inside a mount namespace
# of its own: the mounts exist only for this run and vanish with it (nothing is left mounted
# under the cache directory, and concurrent runs do not see each other's).
run() {
  local src="$1"; shift
  provision
  mkdir -p "$ROOT/src"
  # swift finds its runtime libraries through /proc/self/exe.
  unshare --mount --propagation private /bin/sh -euc '
    root="$1"; src="$2"; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --bind "$src" "$root/src"
    exec chroot "$root" /usr/bin/env HOME=/root PATH=/usr/bin:/bin "$@"
  ' sh "$ROOT" "$src" "$@"
}

case "${1:-}" in
  provision) provision ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 provision | run DIR CMD..." >&2; exit 2 ;;
esac
