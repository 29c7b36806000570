"""The ground floor: zeren's settings, read from the environment (prefix
``ZEREN_``). It imports nothing of zeren, so every other package may import
it, and none of the pure ones (the rules, the store's port) has to."""

from .settings import BACKEND_SCHEMES, Settings, get_settings

__all__ = ["BACKEND_SCHEMES", "Settings", "get_settings"]
