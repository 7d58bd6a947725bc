"""The exception tree: every exception class lives in posture/errors.py, its docstring draws all of them, and nothing
raises the bare root."""

from __future__ import annotations

import ast
import inspect

import pytest
from helpers_core import REPO

from posture import errors

SOURCES = sorted(
    [*(REPO / "posture").rglob("*.py"), *(REPO / "ui").rglob("*.py"), *(REPO / "pages").glob("*.py"), REPO / "app.py"]
)
CLASSES = [
    c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception) and c.__module__ == errors.__name__
]


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_exception_class(node: ast.ClassDef) -> bool:
    names = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases}
    return any(n.endswith(("Error", "Exception")) or n in {"BaseException", "Warning"} for n in names)


def test_sources_found():
    assert REPO / "posture" / "errors.py" in SOURCES and len(SOURCES) > 20


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_exception_classes_live_in_errors_py(path):
    if path == REPO / "posture" / "errors.py":
        return
    defined = [n.name for n in ast.walk(_tree(path)) if isinstance(n, ast.ClassDef) and _is_exception_class(n)]
    assert not defined, f"{path.name} defines {defined}: exception classes belong in posture/errors.py"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_nothing_raises_the_bare_root(path):
    bare = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "PostureError":
                bare.append(node.lineno)
    assert not bare, f"{path.name} raises PostureError itself at lines {bare}: raise the subclass that says what went wrong"


def test_every_class_is_drawn_in_the_tree_with_its_parent():
    doc = errors.__doc__ or ""
    lines = {line.strip("│├└─ ").split(" ")[0]: line for line in doc.splitlines() if line.strip()}
    assert {c.__name__ for c in CLASSES} <= set(lines), "every exception class appears in the tree of errors.py's docstring"
    for cls in CLASSES:
        if cls is errors.PostureError:
            continue
        (parent,) = cls.__bases__
        here, there = lines[cls.__name__], lines[parent.__name__]
        # a child is drawn one level (4 columns) deeper than its parent, below it
        depth = len(here) - len(here.lstrip("│├└─ "))
        parent_depth = len(there) - len(there.lstrip("│├└─ "))
        assert depth == parent_depth + 4, f"{cls.__name__} is drawn under the wrong parent"
        assert doc.index(there) < doc.index(here)


def test_every_error_is_a_posture_error_and_says_one_sentence():
    for cls in CLASSES:
        assert issubclass(cls, errors.PostureError)
    e = errors.DocumentError("landmarks.x\nbad", "is not a landmark.")
    assert "\n" not in str(e) and e.field == "landmarks.x\nbad"
