"""``python -m zeren.cli``: the ``zeren`` command."""

from .commands import main

main()
