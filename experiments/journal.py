"""A journal of a calibration's finished simulations, so that a killed calibration resumes.

A full calibration is some 640 simulations, an hour or more on two cores, and its outputs are
written only once every simulation has finished: without a journal a kill lost all of them. With
it, each simulation is kept as soon as it finishes, and a rerun into the same folder reads those
back and simulates only the others. What was decided, and why:

- **Layout.** ``DIR/journal/manifest.json`` and one file per finished simulation,
  ``DIR/journal/<key>.rec``. One file per record needs no append protocol: every record is
  written atomically (``runs.storage.write_atomic``: temporary file, fsync, rename), so a kill
  leaves at worst a temporary file (removed at the next start), never a half record.
- **Key.** ``experiments.store.run_key(params, seed)``: the SHA-256 of the canonical JSON of
  every parameter the simulation ran with and of its seed, as the sweep store keys its runs. The
  key says what the simulation is, not where in the calibration it falls, and the calibration's
  tasks depend only on the root seed, so an interrupted and an uninterrupted calibration ask
  for the same keys.
- **Record.** A magic line, the SHA-256 of the key and payload, a newline, then the trajectory
  as ``.npy`` bytes (``numpy.save``, no pickle), which keep its dtype and shape exactly: the
  outputs built from a journaled trajectory are the same bytes as from a fresh one.
- **Damaged records** (truncated, wrong digest, not a one-dimensional integer array) are logged
  in one line each and simulated again; the fresh record replaces the damaged one.
- **Manifest.** Settings name, root seed, a digest of the parameters that every simulation
  shares and a fingerprint of the model's code and numerical libraries. A journal whose
  manifest differs belongs to another calibration and is refused rather than mixed in
  (``JournalError``); ``--fresh`` discards it. The code fingerprint is there because the
  journal is kept (below): without it, rerunning the calibration after a change to a rule would
  silently give the old rule's results.
- **Kept after success.** Reruns into the same folder then read every simulation back and
  rewrite the same outputs byte for byte without simulating. The journal is small (a few
  hundred bytes per simulation).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runs.storage import remove_orphaned_temps, write_atomic

log = logging.getLogger("calibrate")

FOLDER = "journal"
MANIFEST = "manifest.json"
SUFFIX = ".rec"
MAGIC = b"redes calibration record 1\n"
DIGEST_LENGTH = 64  # hexadecimal SHA-256


class JournalError(Exception):
    """A journal that belongs to another calibration; the message is one line naming it."""


class DamagedRecordError(ValueError):
    """A record that cannot be trusted; the message says why in a few words."""


@dataclass(frozen=True)
class Manifest:
    """What a journal's records were simulated for; a journal resumes only the same."""

    settings: str
    seed: int
    params: str  # params_digest of the parameters every simulation shares
    model: str  # code_fingerprint of the model that simulated them

    def difference(self, found: dict[str, Any]) -> str | None:
        """How the manifest `found` in a journal differs from this one, in a few words."""
        for name in ("settings", "seed"):
            if found.get(name) != getattr(self, name):
                return f"{name} {found.get(name)} there, {getattr(self, name)} here"
        if found.get("params") != self.params:
            return "other base parameters"
        if found.get("model") != self.model:
            return "other model code or libraries"
        return None


def params_digest(params: Any) -> str:
    """SHA-256 of a parameter dataclass as canonical JSON (floats written exactly)."""
    text = json.dumps(dataclasses.asdict(params), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def code_fingerprint(root: Path, files: Iterable[Path], distributions: Sequence[str]) -> str:
    """SHA-256 of source files (by their path under `root`, so any checkout of the same code
    agrees) and of the installed versions of `distributions`."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in distributions:
        h.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
    return h.hexdigest()


def encode(key: str, series: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, series, allow_pickle=False)
    payload = buffer.getvalue()
    return MAGIC + _digest(key, payload).encode() + b"\n" + payload


def decode(key: str, data: bytes) -> np.ndarray:
    """The trajectory in a record of `key`; DamagedRecordError unless the bytes are exactly one."""
    head = len(MAGIC) + DIGEST_LENGTH + 1
    if len(data) < head or not data.startswith(MAGIC):
        raise DamagedRecordError("truncated or not a record")
    digest, payload = data[len(MAGIC) : head - 1].decode("ascii", "replace"), data[head:]
    if digest != _digest(key, payload):
        raise DamagedRecordError("checksum mismatch")
    try:
        series = np.load(io.BytesIO(payload), allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DamagedRecordError(f"unreadable array ({type(err).__name__})") from None
    if series.ndim != 1 or not np.issubdtype(series.dtype, np.integer):
        raise DamagedRecordError("not a trajectory")
    return series


def _digest(key: str, payload: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\0" + payload).hexdigest()


class Journal:
    """The finished simulations of one calibration, in `folder` (DIR/journal)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def records(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{SUFFIX}"))

    def start(self, manifest: Manifest, fresh: bool) -> int:
        """Make the journal this calibration's and return how many records it holds.

        With `fresh` any earlier journal is discarded first; otherwise a journal of another
        calibration raises JournalError and is left as it is.
        """
        if fresh:
            self.discard()
        reason = self._mismatch(manifest)
        if reason is not None:
            raise JournalError(
                f"{self.folder} belongs to another calibration ({reason}); "
                "pass --fresh to discard it"
            )
        if self.folder.is_dir():
            remove_orphaned_temps(self.folder)
        text = json.dumps(dataclasses.asdict(manifest), indent=2) + "\n"
        write_atomic(self.folder / MANIFEST, text.encode())
        return len(self.records())

    def _mismatch(self, manifest: Manifest) -> str | None:
        path = self.folder / MANIFEST
        if not path.exists():
            # A kill between creating the folder and writing the manifest leaves no records.
            return f"records but no {MANIFEST}" if self.records() else None
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return f"unreadable {MANIFEST}"
        if not isinstance(found, dict):
            return f"unreadable {MANIFEST}"
        return manifest.difference(found)

    def discard(self) -> None:
        """Remove the records and manifest (only the journal's own files)."""
        if not self.folder.is_dir():
            return
        for path in self.records():
            path.unlink(missing_ok=True)
        (self.folder / MANIFEST).unlink(missing_ok=True)
        remove_orphaned_temps(self.folder)
        if not any(self.folder.iterdir()):
            self.folder.rmdir()

    def get(self, key: str) -> np.ndarray | None:
        """The trajectory journaled under `key`, or None if there is none or it is damaged."""
        path = self.folder / f"{key}{SUFFIX}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("%s: unreadable record (%s); simulating it again", path, err.strerror)
            return None
        try:
            return decode(key, data)
        except DamagedRecordError as err:
            log.warning("%s: damaged record (%s); simulating it again", path, err)
            return None

    def put(self, key: str, series: np.ndarray) -> None:
        write_atomic(self.folder / f"{key}{SUFFIX}", encode(key, series))
