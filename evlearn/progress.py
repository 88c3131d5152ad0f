"""Progress bars for long loops: library code takes ``progress=`` and prints nothing else."""
from __future__ import annotations


def progress_bar(iterable=None, progress: bool = False, **kwargs):
    """Wrap ``iterable`` in a tqdm bar (on stderr) when ``progress`` is true."""
    if not progress:
        return iterable if iterable is not None else _NullBar()
    from tqdm.auto import tqdm

    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)


class _NullBar:
    """Stand-in for a manually updated tqdm bar when progress is off."""

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
