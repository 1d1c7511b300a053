"""A small file the bridge re-reads whenever it changes: secrets rotated without a restart.

The kiosk secrets and the administrators' token are read on every `hello` / admin request; a `stat` is
cheap, parsing is not, so the file is parsed again only when its inode, modification time or size changed
(an editor's atomic rename changes the inode, an in-place write the time or size).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class WatchedFile(Generic[T]):
    path: Path
    load: Callable[[Path], T]  # parses the file; raises the caller's own error type for bad content
    what: str  # names the file in errors: "kiosk secrets file"
    error: type[Exception] = OSError  # raised, naming the file, when it cannot be read at all
    _stamp: tuple[int, int, int] | None = field(default=None, init=False)
    _value: T | None = field(default=None, init=False)

    def current(self) -> T:
        try:
            st = self.path.stat()
        except OSError as exc:
            raise self.error(f"{self.what} {self.path}: {exc}") from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp or self._value is None:
            self._value = self.load(self.path)
            self._stamp = stamp
        return self._value
