"""The folders are the architecture: imports run only downwards, and every package says what it owns.

Layers, top to bottom (a module may import its own layer and any layer below it, never one above):

    surface   server.py, web/, demo/, registry.cli, registry.services   (HTTP, CLI, process assembly)
    graphql   schema/, resolvers/
    domain    publishing/, identity/, ledger/, monitoring/, credentials/, reporting/, auth/
    store     store/                                                      (the only SQL on domain tables)
    base      registry/ (config, errors, ids, database, migrate, secret_files)

Every import counts, including those inside functions. Domain packages may use one another, but never
in a circle. A module that belongs to no layer fails the test, so a new package has to be placed.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("surface", ("server", "web", "demo", "registry.cli", "registry.services")),
    ("graphql", ("schema", "resolvers")),
    ("domain", ("publishing", "identity", "ledger", "monitoring", "credentials", "reporting", "auth")),
    ("store", ("store",)),
    ("base", ("registry",)),
)
DOMAIN = LAYERS[2][1]
NOT_PRODUCT = {"tests", "bench", "build", "migrations", "docs"}


def _product_files() -> list[Path]:
    files = [ROOT / "server.py"]
    for pkg in sorted(p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_PRODUCT):
        files += sorted(pkg.rglob("*.py"))
    return files


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_names() -> set[str]:
    return {_module(f).split(".")[0] for f in _product_files()}


def _layer(module: str) -> int | None:
    """Index of the layer whose longest prefix names this module (0 = top), None if unplaced."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def _layer_name(module: str) -> str | None:
    index = _layer(module)
    return None if index is None else LAYERS[index][0]


def _imports(path: Path) -> list[tuple[int, str]]:
    return _imports_of(path.read_text(encoding="utf-8"), _module(path), is_package=path.name == "__init__.py")


def _imports_of(source: str, here: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every import of a project module in the source, relative ones resolved."""
    package = here if is_package else here.rpartition(".")[0]
    tops = _top_level_names() | NOT_PRODUCT
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports the submodule when there is one
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*sub.split(".")) / "__init__.py").exists()
                found.append((node.lineno, sub if is_module else base))
    return [(line, m) for line, m in found if m.split(".")[0] in tops]


def test_every_product_module_has_a_layer() -> None:
    unplaced = sorted(_module(f) for f in _product_files() if _layer(_module(f)) is None)
    assert not unplaced, f"modules outside every layer (add them to LAYERS): {unplaced}"


def test_no_import_runs_upwards() -> None:
    wrong = []
    for path in _product_files():
        importer = _module(path)
        own = _layer(importer)
        assert own is not None
        for line, target in _imports(path):
            theirs = _layer(target)
            if theirs is None:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}, which is not product code")
            elif theirs < own:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({LAYERS[own][0]}) imports {target} "
                             f"({LAYERS[theirs][0]})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_domain_packages_form_no_circle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _product_files():
        source = _module(path).split(".")[0]
        if source not in DOMAIN:
            continue
        for _, target in _imports(path):
            top = target.split(".")[0]
            if top in DOMAIN and top != source:
                graph[source].add(top)

    def circle_from(start: str) -> list[str] | None:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    circles = [c for c in (circle_from(p) for p in DOMAIN) if c]
    assert not circles, "domain packages import each other in a circle: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_layer_check_sees_upward_and_relative_imports() -> None:
    """The check itself: imports inside functions, ``from pkg import module`` and relative imports are seen."""
    source = ("import json\n"
              "def f():\n    from resolvers import fetch\n    from . import models\n    from .. import server\n")
    assert _imports_of(source, "store.probe") == [(3, "resolvers.fetch"), (4, "store.models"), (5, "server")]
    assert _layer_name("store.probe") == "store" and _layer_name("resolvers.fetch") == "graphql"


def test_layer_assignment_prefers_the_longest_prefix() -> None:
    assert _layer_name("registry.cli.ledger") == "surface"
    assert _layer_name("registry.services") == "surface"
    assert _layer_name("registry.config") == "base"
    assert _layer_name("registryx") is None and _layer_name("statistics") is None


def test_every_package_says_what_it_owns() -> None:
    silent = []
    for init in sorted(ROOT.glob("*/**/__init__.py")):
        if init.relative_to(ROOT).parts[0] in NOT_PRODUCT or ".venv" in init.parts:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        if not doc or len(doc.split()) < 8:
            silent.append(str(init.relative_to(ROOT)))
    assert not silent, f"packages without a docstring that says what they own: {silent}"


def test_readme_map_names_every_top_level_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Where things are\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, "README.md needs a '## Where things are' section"
    section = match.group(1)
    named = set(re.findall(r"`([A-Za-z_][\w.]*)(?:/|\.py)`", section))
    wanted = {name for name in _top_level_names() if name != "server"} | {"server", "migrations", "tests", "bench"}
    missing = sorted(wanted - named)
    assert not missing, f"README 'Where things are' does not name: {missing}"
    stale = sorted(n for n in named if "." not in n and not ((ROOT / n).is_dir() or (ROOT / f"{n}.py").exists()))
    assert not stale, f"README 'Where things are' names what does not exist: {stale}"
