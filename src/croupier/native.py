"""The spin's hot modules compiled to C with mypyc, and the guard that keeps a stale build out.

A spin is mostly interpreted Python (the safety engine's scoring and state, the slot engine,
the batch's planning, the ledger's transfer plans and hashes): mypyc turns these typed modules
into C extensions, each next to its source, and calls between them become C calls. The code is
the same; only how the interpreter runs it changes, so every test runs against whichever build
is loaded (``croupier compile`` before ``pytest`` tests the compiled one).

An extension module beats its ``.py`` at import, so an edited source would silently keep
running its old compiled code. ``build`` therefore writes a manifest of the sources' hashes,
and :func:`guard` (run by ``croupier/__init__.py``, before any of these modules is imported)
loads every compiled module from its source instead when any of them changed, or when the
build was made for another Python: all or none, because compiled modules call each other's
compiled code directly.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# Each listed module and everything it imports must type-check (mypy), or the build stops.
MODULES = (
    "croupier.kit.hashing",
    "croupier.games.engine.rng",
    "croupier.games.engine.evaluate",
    "croupier.games.engine.play",
    "croupier.safety.support",
    "croupier.safety.state",
    "croupier.safety.signals",
    "croupier.safety.scoring",
    "croupier.safety.limits",
    "croupier.safety.engine",
    "croupier.safety.checks",
    "croupier.safety.recording",
    "croupier.safety.runs",
    "croupier.ledger.service",
    "croupier.realtime.service",
    "croupier.vip.service",
    "croupier.bets.spin",
    "croupier.bets.bulk",
)
# The shared library that holds the compiled code: croupier_native__mypyc.*.so, beside the
# croupier package.
GROUP = "croupier_native"
SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the directory holding croupier/
MANIFEST = Path(__file__).with_name("native.json")
_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def source_of(module: str, root: Path = SOURCE_ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def extension_of(module: str, root: Path = SOURCE_ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_name(module.rsplit(".", 1)[1] + _SUFFIX)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _abi() -> str:
    return f"{sys.implementation.cache_tag}-{sysconfig.get_platform()}"


def stale_reason(
    manifest: dict[str, object], modules: Sequence[str], root: Path = SOURCE_ROOT
) -> str | None:
    """Why a build described by ``manifest`` must not be used (None: it matches the sources)."""
    if manifest.get("abi") != _abi():
        return f"it was built for {manifest.get('abi')}, this is {_abi()}"
    hashes = manifest.get("sources")
    if not isinstance(hashes, dict) or sorted(hashes) != sorted(modules):
        return "it was built from another list of modules"
    for module in modules:
        source = source_of(module, root)
        if not source.exists() or hashes[module] != _digest(source):
            return f"{source} changed after it was compiled"
        if not extension_of(module, root).exists():
            return f"{extension_of(module, root).name} is missing"
    return None


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Loads the listed modules from their ``.py`` files, whatever extension lies beside them."""

    def __init__(self, modules: Sequence[str], root: Path) -> None:
        self.modules, self.root = frozenset(modules), root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.modules:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname, self.root))


def guard(
    modules: Sequence[str] = MODULES, root: Path = SOURCE_ROOT, manifest_path: Path = MANIFEST
) -> str | None:
    """Keep a stale or foreign build out of this process: returns why it was kept out, or None
    when the compiled modules (if any) may be used. ``CROUPIER_NATIVE=0`` keeps it out too."""
    reason = None
    if os.environ.get("CROUPIER_NATIVE", "1") == "0":
        reason = "CROUPIER_NATIVE=0"
    elif manifest_path.exists():
        try:
            reason = stale_reason(json.loads(manifest_path.read_text()), modules, root)
        except (OSError, ValueError) as exc:
            reason = f"its manifest is unreadable ({exc})"
    elif any(extension_of(module, root).exists() for module in modules):
        reason = "it has no manifest"
    if reason is not None:
        sys.meta_path.insert(0, _SourcesFirst(modules, root))
    return reason


def loaded_compiled(modules: Sequence[str] = MODULES) -> list[str]:
    """Which of the modules this process runs compiled (imports them)."""
    return [
        module
        for module in modules
        if (importlib.import_module(module).__file__ or "").endswith(_SUFFIX)
    ]


def clean(root: Path = SOURCE_ROOT, manifest_path: Path = MANIFEST) -> list[Path]:
    """Remove the build: every compiled module, the shared library and the manifest."""
    removed = [extension_of(module, root) for module in MODULES]
    removed += list(root.glob(GROUP + "__mypyc*" + _SUFFIX))
    removed.append(manifest_path)
    gone = [path for path in removed if path.exists()]
    for path in gone:
        path.unlink()
    return gone


def build() -> None:
    """Compile :data:`MODULES` in place (a minute or two on two cores) and write the manifest.
    Raises ``SystemExit`` with the compiler's message if the build fails."""
    from mypyc.build import mypycify  # the build's tools are only needed here
    from setuptools import setup

    clean()
    sources = {module: _digest(source_of(module)) for module in MODULES}
    paths = [str(source_of(module).relative_to(SOURCE_ROOT)) for module in MODULES]
    work = Path(tempfile.mkdtemp(prefix="croupier-native-"))
    cwd = Path.cwd()
    try:
        os.chdir(SOURCE_ROOT)  # mypyc names modules after their paths from here
        extensions = mypycify(
            ["--config-file", str(_write_config(work)), "--cache-dir", str(work / "mypy"), *paths],
            opt_level="3",
            group_name=GROUP,
            target_dir=str(work / "c"),
        )
        setup(
            name="croupier-native",
            ext_modules=extensions,
            script_args=[
                "--quiet", "build_ext", "--inplace",
                "--build-temp", str(work / "temp"), "--build-lib", str(work / "lib"),
            ],
        )  # fmt: skip
    except BaseException:
        clean()  # no half build left behind
        raise
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    MANIFEST.write_text(json.dumps({"abi": _abi(), "sources": sources}, indent=1) + "\n")


def _write_config(work: Path) -> Path:
    # asyncpg, numpy's stubs aside, ships no type information: its values are Any here.
    config = work / "mypy.ini"
    config.write_text("[mypy]\nignore_missing_imports = True\n")
    return config
