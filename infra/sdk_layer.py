"""Builds the AWS SDK Lambda layer, `SdkLayer` in infra/resources.json: requirements-sdk-layer.txt installed
for Lambda (manylinux x86_64, this interpreter's Python version, wheels only) under `python/`, zipped
deterministically (sorted entries, fixed timestamps), so the same pins give the same bytes and a redeploy with
unchanged pins publishes no new layer version.

    python -m infra.sdk_layer build/dev/sdk-layer.zip [--requirements requirements-sdk-layer.txt]

Needs PyPI (pip). The deployment.zip leaves these distributions out: `make package` runs chalice with PIP_NO_DEPS=1
over requirements.txt, which does not list them.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements-sdk-layer.txt"
PLATFORM = "manylinux2014_x86_64"  # the functions' architecture (chalice's default, x86_64)
EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: every entry gets it, so the bytes depend on the files only
SKIPPED_DIRS = {"__pycache__", "bin"}  # bytecode Lambda writes itself; console scripts nobody runs there


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path) -> dict[str, str]:
    """name (normalized) -> version of each `name==version` line (comments and extras dropped)."""
    found: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
        if match is None:
            raise ValueError(f"{requirements.name}: not an exact pin: {line!r}")
        found[normalize(match.group(1))] = match.group(3)
    return found


def installed(site: Path) -> dict[str, str]:
    """name (normalized) -> version of each distribution installed under `site` (from its .dist-info)."""
    found = {}
    for info in site.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found[normalize(name)] = version
    return found


def write_zip(source: Path, archive: Path, prefix: str = "") -> None:
    """`source`'s files into `archive` (under `prefix`), in sorted order with fixed dates and modes."""
    files = sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(source).parts[:-1])
    )
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in files:
            info = zipfile.ZipInfo(prefix + path.relative_to(source).as_posix(), date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            zipped.writestr(info, path.read_bytes(), compresslevel=9)


def build(archive: Path, requirements: Path = REQUIREMENTS) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "python"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--only-binary=:all:", "--platform", PLATFORM, "--implementation", "cp", "--python-version", version,
             "--target", str(site), "-r", str(requirements)],
            check=True,
        )  # fmt: skip
        # pip resolved the dependencies too: the file must already name every one, at the version pip chose
        wanted, got = pins(requirements), installed(site)
        if wanted != got:
            raise SystemExit(f"{requirements.name} is not a closed set of pins: listed {wanted}, installed {got}")
        write_zip(site, archive, prefix="python/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    args = parser.parse_args(argv)
    build(args.archive, args.requirements)
    print(f"{args.archive}: {args.archive.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
