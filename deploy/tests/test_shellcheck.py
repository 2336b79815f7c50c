"""(6): shellcheck on every shell script under deploy/."""

from __future__ import annotations

import shutil
import subprocess

from conftest import DEPLOY, REPO

SCRIPTS = sorted(
    [p for p in (DEPLOY / "scripts").iterdir() if p.is_file()]
    + list((DEPLOY / "tests").glob("*.sh"))
    + list((DEPLOY / "kustomize").rglob("*.sh"))
)


def test_scripts_exist_and_are_strict():
    names = {p.name for p in SCRIPTS}
    assert {"up", "recover", "down", "lib.sh", "install.sh", "run.sh"} <= names
    for p in SCRIPTS:
        if p.name == "lib.sh":
            continue
        assert "set -euo pipefail" in p.read_text(), f"{p} lacks set -euo pipefail"


def test_shellcheck_clean():
    assert shutil.which("shellcheck"), "shellcheck missing: run deploy/tests/install.sh"
    result = subprocess.run(["shellcheck", "-x", "--severity=style", *map(str, SCRIPTS)],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
