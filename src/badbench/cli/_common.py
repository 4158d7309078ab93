"""What every command shares: one red error line instead of a traceback, exit codes.

Every command catches badbench's own errors, and file-system errors (a read-only disk, a
permission denied, a path that is a file), and prints them as one red line with exit code 2;
tracebacks are kept for bugs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from badbench.errors import BadbenchError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PROBLEMS = 1
"""A check (``validate``) found problems."""
EXIT_USER_ERROR = 2
"""Bad input: a missing file, a malformed record, an invalid value, an unwritable path."""

err = Console(stderr=True)


def print_error(e: BaseException) -> None:
    """Print an error as one red line on stderr."""
    err.print(f"[bold red]error:[/] [red]{escape(str(e))}[/]", soft_wrap=True)


def user_errors(fn: F) -> F:
    """Print a :class:`BadbenchError` (or a file-system error such as a permission denied)
    as one red line and exit with code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (BadbenchError, OSError) as e:
            print_error(e)
            raise typer.Exit(EXIT_USER_ERROR) from None

    return wrapper  # type: ignore[return-value]
