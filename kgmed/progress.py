"""Progress bars that switch themselves off when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], *, enabled: bool, desc: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar when ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False, dynamic_ncols=True)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(*, enabled: bool, desc: str, unit: str = "it", total: int | None = None) -> Any:
    """A bar updated by hand (``update(n)``, ``close()``), shown with its rate (docs/s) when
    ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(desc=desc, total=total, unit=unit, dynamic_ncols=True)
