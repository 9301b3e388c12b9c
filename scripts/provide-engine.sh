#!/usr/bin/env bash
# scripts/provide-engine.sh: make sure a container engine and a local Debian bookworm base
# image exist, without any container registry.
#   1. install docker.io / docker-compose / debootstrap with apt if missing
#   2. start dockerd (no systemd) if it is not answering
#   3. make the base image (debootstrap minbase | docker import) if it is missing
# Exits non-zero with "provide-engine: ERROR: <reason>" when something cannot be done.
# Every step has its own timeout; the worst case is about 20 minutes, the usual
# "already there" case takes under a second.
#
# Settings (environment):
#   BASE_IMAGE    image name to provide           (default paperscout-base:bookworm)
#   DEBIAN_MIRROR mirror for debootstrap          (default: the URIs of /etc/apt/sources.list.d/debian.sources)
#   ENGINE_WORK   scratch + log directory         (default /var/tmp/paperscout-engine)
#   BASE_CACHE    optional docker-save tarball: loaded if the image is missing, written if absent
#   DOCKERD_OPTS  extra dockerd options           (default empty; fallback used if the first start fails)
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-paperscout-base:bookworm}"
ENGINE_WORK="${ENGINE_WORK:-/var/tmp/paperscout-engine}"
BASE_CACHE="${BASE_CACHE:-}"
DOCKERD_OPTS="${DOCKERD_OPTS:-}"
# fallback: no iptables/bridge (only --network host works then) and vfs storage in its OWN data-root,
# so the overlay2 images in /var/lib/docker are not mixed with vfs ones
DOCKERD_FALLBACK_OPTS="--iptables=false --ip-masq=false --bridge=none --storage-driver=vfs --data-root=/var/lib/docker-vfs"
# Debian's client (20.10): has BuildKit built in (DOCKER_BUILDKIT=1). The /usr/local/bin/docker
# (28.x) client that may come first on PATH has no buildx plugin, so it can only use the legacy builder.
DOCKER=/usr/bin/docker
LOG="$ENGINE_WORK/logs"

die() { echo "provide-engine: ERROR: $*" >&2; exit 1; }
say() { echo "provide-engine: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, dockerd, debootstrap)"
mkdir -p "$LOG" || die "cannot create $LOG"

# one run at a time
exec 9>"$ENGINE_WORK/.lock"
flock -w 900 9 || die "another provide-engine run holds $ENGINE_WORK/.lock"

# ---- 1. packages -------------------------------------------------------------
pkgs=()
{ [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ]; } || pkgs+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || pkgs+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
if [ "${#pkgs[@]}" -gt 0 ]; then
  say "installing ${pkgs[*]}"
  timeout 180 apt-get update >"$LOG/apt-update.log" 2>&1 \
    || die "apt-get update failed or timed out (log: $LOG/apt-update.log)"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y "${pkgs[@]}" >"$LOG/apt-install.log" 2>&1 \
    || die "apt-get install ${pkgs[*]} failed or timed out (log: $LOG/apt-install.log)"
fi
[ -x /usr/sbin/dockerd ] || die "dockerd missing after install"

# ---- 2. daemon ---------------------------------------------------------------
engine_up() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }
# a stopped dockerd lingers for seconds as a zombie (pid 1 here reaps slowly): pgrep/kill -0 still see it
is_live_dockerd() { [ "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status 2>/dev/null && [ "$(cat /proc/"$1"/comm 2>/dev/null)" = dockerd ]; }
live_dockerd() { local p; for p in $(pgrep -x dockerd 2>/dev/null); do is_live_dockerd "$p" && { echo "$p"; return 0; }; done; return 1; }

start_dockerd() {  # $1 = options; waits up to 60 s
  local pidfile=/var/run/docker.pid p
  if [ -f "$pidfile" ]; then
    p=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$p" ] && is_live_dockerd "$p"; then
      say "dockerd (pid $p) is running but not answering; waiting for it"
    else
      say "removing stale $pidfile (pid '${p}' is not dockerd)"
      rm -f "$pidfile"
    fi
  fi
  if ! live_dockerd >/dev/null; then
    say "starting dockerd $1"
    # setsid + nohup: the daemon must outlive this CI step's shell / process group
    # shellcheck disable=SC2086
    # 9>&- : do not hand the lock fd to the daemon (it would hold the lock forever)
    setsid nohup /usr/sbin/dockerd $1 >>"$LOG/dockerd.log" 2>&1 </dev/null 9>&- &
  fi
  for _ in $(seq 1 60); do engine_up && return 0; sleep 1; done
  return 1
}

if ! engine_up; then
  if ! start_dockerd "$DOCKERD_OPTS"; then
    if p=$(live_dockerd); then
      die "dockerd (pid $p) runs but does not answer within 60 s (log: $LOG/dockerd.log)"
    fi
    say "dockerd did not come up with default options; retrying with: $DOCKERD_FALLBACK_OPTS"
    start_dockerd "$DOCKERD_FALLBACK_OPTS" \
      || die "dockerd does not start (last lines of $LOG/dockerd.log:
$(tail -n 5 "$LOG/dockerd.log" 2>/dev/null))"
  fi
fi
say "engine: $("$DOCKER" version --format 'server {{.Server.Version}}, storage' 2>/dev/null) $("$DOCKER" info --format '{{.Driver}}' 2>/dev/null)"

# ---- 3. base image -----------------------------------------------------------
make_base() {
  local mirror rootfs
  mirror="${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  rootfs=$(mktemp -d "$ENGINE_WORK/rootfs.XXXXXX")
  say "debootstrap --variant=minbase bookworm from $mirror"
  if ! timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LOG/debootstrap.log" 2>&1; then
    umount -R "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true
    rm -rf --one-file-system "$rootfs"
    die "debootstrap failed or timed out (log: $LOG/debootstrap.log)"
  fi
  # slim down and point apt inside the image at the same mirrors the host uses
  rm -f "$rootfs"/var/cache/apt/archives/*.deb
  rm -rf "$rootfs"/var/lib/apt/lists/* && mkdir -p "$rootfs/var/lib/apt/lists/partial"
  if [ -f /etc/apt/sources.list.d/debian.sources ] && grep -q bookworm /etc/apt/sources.list.d/debian.sources; then
    rm -f "$rootfs/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
  else
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
  fi
  printf 'Acquire::Check-Valid-Until "false";\n' >"$rootfs/etc/apt/apt.conf.d/99check-valid-until"
  : >"$rootfs/etc/resolv.conf"          # docker bind-mounts the real one at run time
  echo localhost >"$rootfs/etc/hostname"
  tar -C "$rootfs" --numeric-owner -c . \
    | timeout 300 "$DOCKER" import \
        --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
        --change "LABEL org.paperscout.base=debootstrap-minbase-bookworm" \
        - "$BASE_IMAGE" >/dev/null \
    || { rm -rf --one-file-system "$rootfs"; die "docker import of the rootfs failed"; }
  rm -rf --one-file-system "$rootfs"
}

if ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  if [ -n "$BASE_CACHE" ] && [ -s "$BASE_CACHE" ] && timeout 300 "$DOCKER" load -i "$BASE_CACHE" >/dev/null 2>&1 \
     && "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    say "loaded $BASE_IMAGE from $BASE_CACHE"
  else
    make_base
  fi
fi
if [ -n "$BASE_CACHE" ] && [ ! -s "$BASE_CACHE" ]; then
  mkdir -p "$(dirname "$BASE_CACHE")"
  { timeout 300 "$DOCKER" save "$BASE_IMAGE" | gzip -1 >"$BASE_CACHE.tmp" && mv "$BASE_CACHE.tmp" "$BASE_CACHE"; } \
    || say "warning: could not write $BASE_CACHE"
fi
timeout 60 "$DOCKER" run --rm --network host "$BASE_IMAGE" true \
  || die "base image $BASE_IMAGE exists but a container cannot run from it"
say "ok: engine running, $BASE_IMAGE present ($("$DOCKER" image inspect -f '{{.Size}}' "$BASE_IMAGE") bytes)"
