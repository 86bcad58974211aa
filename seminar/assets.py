"""The page's scripts and styles, kept outside the virtual environment so that they survive it.

Solara's page loads three npm packages (its Vue app, requirejs, Font Awesome). Solara would
fetch them from a CDN the first time a browser asks; a classroom has no CDN. The seminar app
keeps them in a cache folder of its own, `~/.cache/redes/page` (or `$REDES_CACHE/page`), fills it
on its first start with npm, at the versions and checksums pinned in `seminar/page/`
(package.json and npm's package-lock.json), and serves the page from it afterwards, with or
without internet. `uv run python -m seminar.assets` does the same by hand and prints where.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import jinja2
import solara.server.server as solara_server
import solara.server.settings as solara_settings

TEMPLATE = Path(solara_server.__file__).parent / "templates" / "solara.html.j2"
PINNED = Path(__file__).parent / "page"  # package.json and package-lock.json, made by npm
# An npm package at an exact version, as it appears in a CDN path: "@scope/name@1.2.3/...".
PACKAGE = re.compile(r"((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/")
NPM_TIMEOUT_S = 300
FIX_COMMAND = "uv run python -m seminar.assets"


def cache_dir() -> Path:
    """Where the page's packages live: outside the project's .venv, so a new venv keeps them."""
    root = os.environ.get("REDES_CACHE")
    if root:
        return Path(root) / "page"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "redes" / "page"


def required_packages() -> list[str]:
    """The npm packages (name@version) the page template loads from the CDN."""
    text = TEMPLATE.read_text()
    specs = set(PACKAGE.findall(" ".join(re.findall(r"\{\{cdn\}\}/(\S+?)[\"']", text))))
    specs |= set(PACKAGE.findall(solara_settings.assets.fontawesome_path.lstrip("/")))
    # The template has a Vue 2 and a Vue 3 branch; keep the one the installed ipyvue uses.
    unused = "solara-vuetify-app@" if solara_server.vue3 else "solara-vuetify3-app@"
    return sorted(s for s in specs if unused not in s)


def pinned_packages() -> dict[str, str]:
    """name@version -> npm integrity (sha512) of the page's packages, from the npm lock file."""
    lock = json.loads((PINNED / "package-lock.json").read_text())["packages"]
    wanted = json.loads((PINNED / "package.json").read_text())["dependencies"]
    pins = {}
    for name in wanted:
        entry = lock[f"node_modules/{name}"]
        pins[f"{name}@{entry['version']}"] = entry["integrity"]
    return pins


def missing_packages(root: Path | None = None) -> list[str]:
    root = cache_dir() if root is None else root
    return [spec for spec in required_packages() if not (root / spec / "package.json").exists()]


def integrity_of(tarball: Path) -> str:
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(spec: str, root: Path, integrity: str) -> None:
    """Unpack npm package `spec` into root/spec (the layout of Solara's CDN cache), after
    checking it against the checksum pinned in the lock file."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed to fetch {spec}; install Node.js (Debian: nodejs npm)")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", spec, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()[-300:]}")
        if integrity_of(tarballs[0]) != integrity:
            raise RuntimeError(f"{spec}: checksum differs from seminar/page/package-lock.json")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        target = root / spec
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".fetch-"))
        shutil.move(str(unpacked / "package"), staging / "package")
        # Rename into place: a server reading the cache never sees half a package.
        (staging / "package").rename(target)
        staging.rmdir()


def ensure_assets(root: Path | None = None) -> list[str]:
    """Fetch whatever the page needs and the cache lacks; returns what was fetched."""
    root = cache_dir() if root is None else root
    missing = missing_packages(root)
    if not missing:
        return []
    pins = pinned_packages()
    unpinned = [spec for spec in missing if spec not in pins]
    if unpinned:  # Solara was upgraded and asks for versions seminar/page/ does not pin
        raise RuntimeError(f"{', '.join(unpinned)} not pinned in seminar/page/package.json")
    for spec in missing:
        fetch(spec, root, pins[spec])
    return missing


def serve_from_cache() -> Path:
    """Point Solara's CDN proxy at the cache folder; the page then needs no CDN once filled."""
    root = cache_dir()
    solara_settings.assets.proxy_cache_dir = root
    return root


def install_page_notice() -> None:
    """Serve Solara's page from seminar/templates/, which adds a plain-words notice shown when
    the page's scripts are missing (a page without them would otherwise stay white)."""
    builtin = Path(solara_server.__file__).parent / "templates"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([Path(__file__).parent / "templates", builtin]),
        autoescape=True,
    )
    env.globals["redes_missing_scripts"] = missing_packages
    env.globals["redes_cache_dir"] = cache_dir
    env.globals["redes_fix_command"] = FIX_COMMAND
    solara_server.get_jinja_env = lambda app_name: env  # the server looks it up at each page


def prepare_on_start() -> bool:
    """At the app's start: fill the cache if needed; if that fails, say in the terminal what
    is missing and the one command that fixes it. True when the page has all its scripts."""
    root = serve_from_cache()
    install_page_notice()
    missing = missing_packages(root)
    if not missing:
        return True
    print(f"redes seminar: fetching the page's scripts once into {root} (npm) ...", flush=True)
    try:
        ensure_assets(root)
        return True
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
        print(
            f"redes seminar: the page's scripts are missing ({', '.join(missing)}): {err}\n"
            f"redes seminar: the page will say so. Fix it with internet once:  {FIX_COMMAND}",
            file=sys.stderr,
            flush=True,
        )
        return False


def main() -> int:
    try:
        fetched = ensure_assets()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    where = cache_dir()
    print(f"fetched {', '.join(fetched)} into {where}" if fetched else f"all present in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
