"""How an error is shown to a person: one line."""

from __future__ import annotations


def one_line(error: BaseException) -> str:
    """The first line of the error's message (its type's name when it has none), at most 240 characters."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:240]
