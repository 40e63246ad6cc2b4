"""How the kit starts Python children of its own: the grading pytest, a batch's `grade` runs.

Each child runs isolated (`-I`): neither the working directory, nor PYTHONPATH, nor the
user's site-packages is on its import path, so a folder named `micrograde/` (or `pytest/`)
in a batch's SRC, where an instructor may well stand, is never imported as root. The
kit's own package folder is put first explicitly, so the child runs exactly this kit.
"""
import os
import sys
from pathlib import Path

PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])


def _boot(statement: str) -> str:
    """`statement`, run with this kit's package first on the import path."""
    return f"import sys; sys.path.insert(0, {PACKAGE_PARENT!r}); {statement}"


def python(statement: str, dont_write_bytecode: bool = False) -> list[str]:
    """argv of an isolated interpreter that runs `statement` with this kit importable first."""
    return [sys.executable, "-I", *(["-B"] if dont_write_bytecode else []), "-c", _boot(statement)]


def hash_seeded(statement: str, folder) -> dict:
    """subprocess.run() arguments of a child that needs a fixed string hash (PYTHONHASHSEED=0).

    `-I` would ignore that variable, so isolation comes another way: the child runs in
    `folder` (an empty private folder; `-c` puts the working directory on the import path),
    with no user site-packages and no PYTHONPATH.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    return {"args": [sys.executable, "-s", "-c", _boot(statement)], "env": env, "cwd": folder}


def pytest_command() -> list[str]:
    """`python -m pytest`, isolated; the arguments follow (pytest.main() reads sys.argv)."""
    return python("import pytest; sys.exit(pytest.main())")


def micrograde_command() -> list[str]:
    """`python -m micrograde`, isolated; the arguments follow."""
    return python("from micrograde.cli import main; sys.exit(main())")


def secret_arguments(folder, arguments) -> str:
    """`@FILE` for arguments that must not be on a command line (any process may read those
    in /proc): a private seed, a batch's SRC and OUT paths. The file is readable by us only.

    Both argparse-based command lines we start (pytest's and micrograde's) expand @FILE.
    """
    path = Path(folder) / "secret-arguments"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)  # none on Windows
    with os.fdopen(fd, "w") as f:
        f.write("".join(f"{a}\n" for a in arguments))
    return f"@{path}"
