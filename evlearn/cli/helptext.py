"""One way to put examples in every ``--help``: an ``examples:`` epilog shown verbatim."""
from __future__ import annotations

import argparse


def with_examples(*lines: str) -> dict:
    """Keyword arguments for ``add_parser``/``ArgumentParser``: the given command lines as examples."""
    return {"epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}
