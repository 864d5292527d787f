"""One small base for what the kit hands out to use in a ``with`` block."""

from __future__ import annotations

from typing import Self


class Closing:
    """Leaving the ``with`` block calls :meth:`close`, however the block ended."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
