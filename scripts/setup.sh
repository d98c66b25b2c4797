#!/usr/bin/env bash
# Bring a machine to the point where the course or its tests can run:
#   scripts/setup.sh course   -> system packages, .venv with regkit
#   scripts/setup.sh test     -> the same plus the test extra
#   scripts/setup.sh bench    -> the same plus the test and bench extras
# Safe to run again: each step checks first and does nothing when already done.
set -euo pipefail

profile="${1:-course}"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${REGKIT_VENV:-$root/.venv}"
python="${PYTHON:-python3}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages the course needs: an Engine, a registry to practise on, a busybox to push.
debs=(docker.io docker-registry busybox-static git ca-certificates)
# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
[ "$profile" != course ] && debs+=(chromium)
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    debs+=(python3-venv python3-pip)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${debs[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # policy-rc.d in containers refuses to start services; that is fine, regkit starts its own.
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    else
        say "missing Debian packages: ${missing[*]}"
        echo "    install them with: sudo apt-get install ${missing[*]}"
        echo "    (continuing: the parts that need them will say so)"
    fi
fi

case "$profile" in
    test) extra="[test]" ;;
    bench) extra="[test,bench]" ;;
    *) extra="" ;;
esac
# "compat" editable mode puts the repository on sys.path with a plain .pth line. The default
# mode installs an import hook instead, whose own imports (pathlib, urllib.parse, ipaddress)
# add ~8 ms to every interpreter start: the CLI, the lab and each notebook kernel. New modules
# under regkit/ import without reinstalling either way. (setuptools warns that compat mode is
# transitional.) The stamp names the mode so venvs installed the other way are redone.
stamp="$venv/.regkit-installed-compat$extra"
if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv"
    "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    say "installing regkit$extra into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        --config-settings editable_mode=compat -e "$root$extra"
    touch "$stamp"
fi
# The editable install leaves regkit uncompiled, and with PYTHONDONTWRITEBYTECODE set (as on
# the course machines) Python never writes the .pyc files itself: every `regkit` command and
# lab start would compile every module again (~30 ms). A .pyc records its source's mtime and
# size, so an edited module is compiled afresh, never run stale. Cheap: done on every run.
"$venv/bin/python" -m compileall -q "$root/regkit"

# Widget state can hold what was typed into the registry form: never let JupyterLab save it.
overrides="$venv/share/jupyter/lab/settings/overrides.json"
if [ ! -f "$overrides" ]; then
    mkdir -p "$(dirname "$overrides")"
    printf '%s\n' '{"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": false}}' > "$overrides"
fi
