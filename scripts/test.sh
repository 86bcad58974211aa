#!/usr/bin/env bash
# The whole test suite, from a fresh machine that has only Python and pip: installs uv, and
# Debian's Chromium (the seminar app's browser test) and npm (the page's offline scripts) when
# they are missing, syncs every extra (the Ray and SLURM launchers are tested too), then runs
# pytest. Arguments go to pytest. Without root or sudo it stops and says what to install: the
# browser test is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v uv >/dev/null 2>&1; then
  UV=(uv)
else
  python3 -m pip install --quiet uv
  UV=(python3 -m uv)
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium) # the path tests/test_app_browser.py drives
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=()
  elif command -v sudo >/dev/null 2>&1; then
    AS_ROOT=(sudo)
  else
    echo "error: the tests need the Debian packages ${missing[*]}; install them as root:" \
      "apt-get install ${missing[*]}" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need ${missing[*]} (Chromium at /usr/bin/chromium) and this" \
      "machine has no apt-get; install them with its package manager" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (Debian packages) for the browser test and the page's scripts" >&2
  "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
    >/dev/null </dev/null
fi

"${UV[@]}" sync --frozen --all-extras
"${UV[@]}" run --frozen --all-extras pytest "$@"
