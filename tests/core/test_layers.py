"""premiumlic.py, premiumcrl.py and premiumreq.py are modules, which import-linter cannot take as roots (its
contracts, in pyproject.toml, cover the packages): the CLI ships them, so they must import no
Django and no app."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):  # nested imports too
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.partition(".")[0])
    return names


def test_the_premium_license_format_imports_only_the_standard_library_and_cryptography():
    outside = _imported(ROOT / "premiumlic.py") - set(sys.stdlib_module_names)
    assert outside == {"cryptography"}


def test_the_revocation_list_format_imports_only_the_file_format_and_cryptography():
    outside = _imported(ROOT / "premiumcrl.py") - set(sys.stdlib_module_names)
    assert outside == {"cryptography", "premiumlic"}


def test_the_activation_request_format_imports_only_the_file_format():
    assert _imported(ROOT / "premiumreq.py") - set(sys.stdlib_module_names) == {"premiumlic"}
