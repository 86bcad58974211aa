"""The page's scripts and styles, for seminar rooms without internet.

Solara's server fetches the page's JavaScript and CSS from a CDN the first time a browser asks
for them and keeps them in its cache folder. Where the CDN cannot be reached (a classroom
without internet, a closed CI machine), `uv run python -m seminar.assets` fills that cache
beforehand from the npm registry, with npm. It fetches exactly the packages and versions that
the installed Solara's page template asks for, and nothing when they are already there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import solara.server.server as solara_server
import solara.server.settings as solara_settings

TEMPLATE = Path(solara_server.__file__).parent / "templates" / "solara.html.j2"
# An npm package at an exact version, as it appears in a CDN path: "@scope/name@1.2.3/...".
PACKAGE = re.compile(r"((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/")
NPM_TIMEOUT_S = 300


def cache_dir() -> Path:
    return Path(solara_settings.assets.proxy_cache_dir)


def required_packages() -> list[str]:
    """The npm packages (name@version) the page template loads from the CDN."""
    text = TEMPLATE.read_text()
    specs = set(PACKAGE.findall(" ".join(re.findall(r"\{\{cdn\}\}/(\S+?)[\"']", text))))
    specs |= set(PACKAGE.findall(solara_settings.assets.fontawesome_path.lstrip("/")))
    # The template has a Vue 2 and a Vue 3 branch; keep the one the installed ipyvue uses.
    unused = "solara-vuetify-app@" if solara_server.vue3 else "solara-vuetify3-app@"
    return sorted(s for s in specs if unused not in s)


def missing_packages(root: Path | None = None) -> list[str]:
    root = cache_dir() if root is None else root
    return [spec for spec in required_packages() if not (root / spec / "package.json").exists()]


def fetch(spec: str, root: Path) -> None:
    """Unpack npm package `spec` into root/spec, the layout of Solara's CDN cache."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed to fetch {spec} without a CDN; install Node.js")
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
    for spec in missing:
        fetch(spec, root)
    return missing


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
