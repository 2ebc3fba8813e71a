"""`make offline-bundle`: one archive that installs and runs on a server without network access.

`dist/review-offline-VERSION.tar.gz` unpacks to one folder `review-offline-VERSION/` holding the project
(the files git tracks, at the commit checked out), `wheels/x86_64/` with a wheel for every pinned
requirement and its dependencies for this machine's Python on x86-64 Linux, `wheels/aarch64/` when every
one of them exists for ARM too (else `wheels/aarch64-missing.txt` names those that do not), `fonts/` with the
Simplified-Chinese faces the PDF documents embed (for a server without fonts-noto-cjk), and `install.sh`.

The wheels come from the package index once and are kept in `dist/wheels/` (and pip's cache), so building
the archive again needs no network. A requirement published only as source (jieba) is built into a wheel
here; being pure Python it serves both architectures.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
WHEELS = DIST / "wheels"
REQUIREMENTS = ROOT / "requirements.txt"
ARM_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "linux_aarch64")


def version() -> str:
    """The project's version and the commit: 0.1.0+g1a2b3c4 (with "-dirty" when files differ from it)."""
    declared = next(line.split('"')[1] for line in (ROOT / "pyproject.toml").read_text().splitlines()
                    if line.startswith("version"))
    commit = _git("rev-parse", "--short", "HEAD").strip()
    dirty = "-dirty" if _git("status", "--porcelain", "--untracked-files=no").strip() else ""
    return f"{declared}+g{commit}{dirty}"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def python_tag() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False)


def x86_64_wheels() -> Path:
    """Every pinned requirement and its dependencies as wheels for this machine (x86-64 Linux)."""
    if platform.machine() != "x86_64":
        raise SystemExit(f"build the archive on an x86-64 Linux machine (this one is {platform.machine()})")
    target = WHEELS / f"cp{python_tag().replace('.', '')}-x86_64"
    target.mkdir(parents=True, exist_ok=True)
    # --find-links: the folder itself first, so a second build finds everything there without the network.
    done = _pip("wheel", "--quiet", "--requirement", str(REQUIREMENTS), "--wheel-dir", str(target),
                "--find-links", str(target))
    if done.returncode != 0:
        raise SystemExit(f"the wheels for x86-64 could not be gathered:\n{done.stderr.strip()[-2000:]}")
    return target


def aarch64_wheels(x86: Path) -> tuple[Path, list[str]]:
    """The same for aarch64 Linux, binary wheels only (nothing can be compiled for ARM here): the folder
    and the requirements that have no aarch64 wheel (empty when the set is complete)."""
    target = WHEELS / f"cp{python_tag().replace('.', '')}-aarch64"
    target.mkdir(parents=True, exist_ok=True)
    platforms = [arg for name in ARM_PLATFORMS for arg in ("--platform", name)]
    done = _pip("download", "--quiet", "--requirement", str(REQUIREMENTS), "--dest", str(target), "--only-binary=:all:",
                *platforms, "--python-version", python_tag(), "--implementation", "cp",
                "--find-links", str(target), "--find-links", str(x86))
    missing = [line.split("requirement", 1)[1].split("(")[0].strip()
               for line in done.stderr.splitlines() if "Could not find a version that satisfies" in line]
    if done.returncode != 0 and not missing:
        missing = [done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "pip download failed"]
    return target, missing


def cjk_fonts(folder: Path) -> list[Path]:
    """The Simplified-Chinese faces of documents/pdf.py as standalone files (regular and, when installed, bold)."""
    from documents.pdf import cjk_font_files

    folder.mkdir(parents=True, exist_ok=True)
    regular, bold = cjk_font_files()
    written = []
    for source, name in ((regular, "NotoSansCJKsc-Regular.otf"), (bold, "NotoSansCJKsc-Bold.otf")):
        if source is not None:
            shutil.copyfile(source, folder / name)
            written.append(folder / name)
    return written


def build(out: Path = DIST, *, arm: bool = True) -> Path:
    name = f"review-offline-{version()}"
    stage = out / name
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for relative in _git("ls-files", "-z").split("\0"):
        source = ROOT / relative
        if relative and source.is_file():
            (stage / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, stage / relative)
    x86 = x86_64_wheels()
    shutil.copytree(x86, stage / "wheels" / "x86_64")
    notes = [f"Python {python_tag()} (the wheels are for CPython {python_tag()}: Debian 12's python3)",
             "x86_64: complete"]
    if arm:
        aarch64, missing = aarch64_wheels(x86)
        if missing:
            (stage / "wheels" / "aarch64-missing.txt").write_text("\n".join(missing) + "\n")
            notes.append(f"aarch64: not included, no aarch64 wheel for: {', '.join(missing)}")
        else:
            shutil.copytree(aarch64, stage / "wheels" / "aarch64")
            notes.append("aarch64: complete")
    (stage / "wheels" / "PYTHON_VERSION").write_text(python_tag() + "\n")
    (stage / "wheels" / "README.txt").write_text("\n".join(notes) + "\n")
    cjk_fonts(stage / "fonts")
    shutil.copy2(ROOT / "deploy" / "install.sh", stage / "install.sh")
    (stage / "install.sh").chmod(0o755)
    archive = out / f"{name}.tar.gz"
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=1) as tar:  # wheels are compressed already
        tar.add(stage, arcname=name)
    partial.replace(archive)
    shutil.rmtree(stage)
    # Carried beside the archive (another medium, or read out on the phone): `sha256sum -c` on the server.
    digest = hashlib.sha256()
    with open(archive, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    archive.with_name(archive.name + ".sha256").write_text(f"{digest.hexdigest()}  {archive.name}\n")
    for line in notes:
        print(line)
    print(f"{archive} ({archive.stat().st_size / 1024**2:.0f} MB)")
    return archive


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.bundle", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(DIST), help="where the archive goes (default dist/)")
    parser.add_argument("--no-arm", action="store_true", help="x86-64 wheels only (faster)")
    args = parser.parse_args(argv)
    build(Path(args.out), arm=not args.no_arm)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
