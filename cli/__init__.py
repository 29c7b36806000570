"""The ``zeren`` command (``cli/commands.py``; the administration commands in
``cli/admin.py``). It sits above every other package: it parses options and
calls the module that does the work."""

from .commands import app, main

__all__ = ["app", "main"]
