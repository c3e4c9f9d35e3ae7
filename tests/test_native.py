"""The compiled build (``croupier.native``): used whole when it matches its sources, never when
it does not."""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import croupier
from croupier import native

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
MODULES = ("fakepkg.hot", "fakepkg.inner.warm")


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    """A package of two "hot" modules, each with a fake extension beside it: a file that is no
    shared library, so importing the extension fails loudly and loading the source does not."""
    for module in MODULES:
        source = native.source_of(module, tmp_path)
        source.parent.mkdir(parents=True, exist_ok=True)
        for package in (source.parent, tmp_path / "fakepkg"):
            (package / "__init__.py").touch()
        source.write_text(f"NAME = {module!r}\n")
        native.extension_of(module, tmp_path).write_bytes(b"not an ELF file")
    before = list(sys.meta_path)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.meta_path[:] = before
    for name in [m for m in sys.modules if m == "fakepkg" or m.startswith("fakepkg.")]:
        del sys.modules[name]


def manifest(root: Path, **changes: object) -> dict[str, object]:
    sources = {m: native._digest(native.source_of(m, root)) for m in MODULES}
    return {"abi": native._abi(), "sources": sources, **changes}


def write_manifest(root: Path, data: dict[str, object]) -> Path:
    path = root / "native.json"
    path.write_text(json.dumps(data))
    return path


def test_a_build_that_matches_its_sources_is_used(tree: Path) -> None:
    assert native.stale_reason(manifest(tree), MODULES, tree) is None
    before = list(sys.meta_path)
    assert native.guard(MODULES, tree, write_manifest(tree, manifest(tree))) is None
    assert sys.meta_path == before
    with pytest.raises(ImportError):  # the (fake) extension is what gets imported
        importlib.import_module("fakepkg.hot")


def test_an_edited_source_keeps_every_compiled_module_out(tree: Path) -> None:
    path = write_manifest(tree, manifest(tree))
    native.source_of("fakepkg.inner.warm", tree).write_text("NAME = 'edited'\n")
    reason = native.guard(MODULES, tree, path)
    assert reason is not None and "warm.py changed" in reason
    # Both modules come from their sources, the unchanged one too: all or none.
    assert importlib.import_module("fakepkg.hot").NAME == "fakepkg.hot"
    assert importlib.import_module("fakepkg.inner.warm").NAME == "edited"
    assert importlib.import_module("fakepkg.hot").__file__.endswith(".py")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"abi": "cpython-27-sparc"}, "built for cpython-27-sparc"),
        ({"sources": {"fakepkg.hot": "0" * 64}}, "another list of modules"),
        ({"sources": "not a mapping"}, "another list of modules"),
    ],
)
def test_a_foreign_build_is_kept_out(tree: Path, changes: dict[str, object], expected: str) -> None:
    reason = native.guard(MODULES, tree, write_manifest(tree, manifest(tree, **changes)))
    assert reason is not None and expected in reason
    assert importlib.import_module("fakepkg.inner.warm").NAME == "fakepkg.inner.warm"


def test_a_missing_extension_or_manifest_keeps_the_build_out(tree: Path) -> None:
    path = write_manifest(tree, manifest(tree))
    native.extension_of("fakepkg.hot", tree).unlink()
    assert "missing" in (native.stale_reason(json.loads(path.read_text()), MODULES, tree) or "")
    reason = native.guard(MODULES, tree, tree / "no-such-manifest.json")
    assert reason == "it has no manifest"  # the other module's extension is still there
    assert importlib.import_module("fakepkg.inner.warm").NAME == "fakepkg.inner.warm"


def test_an_unreadable_manifest_keeps_the_build_out(tree: Path) -> None:
    path = tree / "native.json"
    path.write_text("{not json")
    reason = native.guard(MODULES, tree, path)
    assert reason is not None and "unreadable" in reason
    assert importlib.import_module("fakepkg.hot").NAME == "fakepkg.hot"


def test_the_environment_can_switch_the_build_off(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROUPIER_NATIVE", "0")
    assert native.guard(MODULES, tree, write_manifest(tree, manifest(tree))) == "CROUPIER_NATIVE=0"
    assert importlib.import_module("fakepkg.hot").NAME == "fakepkg.hot"


def test_this_process_runs_all_hot_modules_compiled_or_none() -> None:
    """With a current build (``croupier compile``, as the README's test command runs it) every
    hot module is the compiled one; with none, or a stale one, none is."""
    compiled = native.loaded_compiled()
    if croupier.NATIVE_UNUSED is None and native.MANIFEST.exists():
        assert compiled == list(native.MODULES)
    else:
        assert compiled == []
