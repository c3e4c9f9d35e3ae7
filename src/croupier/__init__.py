"""Croupier: a multi-operator online casino platform backend."""

from croupier import native as _native

__version__ = "0.1.0"

# Before any hot module is imported: a compiled build that no longer matches its sources is
# not used (why, or None; ``croupier compile --status`` says it).
NATIVE_UNUSED = _native.guard()
