"""Every result file is written the same way: into a temporary file beside its final path, then
renamed, so a reader (or a resumed sweep) never sees half a file; files are readable by the group
and others as the user's umask allows (0644 under the usual umask 022)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write to; renamed to `path` when the block succeeds, removed if not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
