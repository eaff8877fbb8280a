"""Files of local state (the secret key, keyrings): written whole, readable by the owner only.
Pure: no Django, so settings can use it."""

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write `text` to `path` atomically, mode 0600 from the first byte (mkstemp's). `exclusive`:
    only if `path` does not exist yet; processes racing to create it all end up reading the
    winner's file, never a half-written one, and the losers' text is dropped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if exclusive:
            with contextlib.suppress(FileExistsError):  # another process created it first
                os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
