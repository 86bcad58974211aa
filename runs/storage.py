"""Every result file is written the same way: into a temporary file beside its final path, then
renamed, so a reader (or a resumed sweep) never sees half a file; files are readable by the group
and others as the user's umask allows (0644 under the usual umask 022)."""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _writer() -> str:
    """Who writes a temporary file: host and process, so that only orphans are ever removed."""
    return f"{_host()}-{os.getpid()}"


def _host() -> str:
    return socket.gethostname().replace(".", "_").replace("-", "_") or "host"


_TEMP = re.compile(r"^\..+\.(?P<host>[^.-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write to; renamed to `path` when the block succeeds, removed if not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.{_writer()}."
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _file_mode())  # mkstemp makes it private to its owner
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_with(path: Path, write: Callable[[Path], Any]) -> None:
    """Atomically write `path` with `write(temporary_path)`."""
    with atomic_path(path) as tmp:
        write(tmp)


def write_atomic(path: Path, data: bytes) -> None:
    """Atomically write `data` to `path`, flushed to disk before the rename."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_parquet_atomic(frame: Any, path: Path) -> None:
    """Atomically write a pandas DataFrame or a pyarrow Table as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(frame, pa.Table):
        table = frame
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    write_with(path, lambda tmp: pq.write_table(table, tmp))


def remove_orphaned_temps(folder: Path) -> int:
    """Remove the temporary files in `folder` left by writers on this host that were killed.

    A temporary file whose process still runs (another sweep or job writing the same folder)
    is never touched, nor one from another host; returns how many were removed.
    """
    host = _host()
    removed = 0
    for tmp in folder.glob(".*.tmp"):
        match = _TEMP.match(tmp.name)
        if match is None or match["host"] != host or _alive(int(match["pid"])):
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
