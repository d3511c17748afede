"""What `make package` ships: deployment.zip and the SDK layer, their sizes, the biggest distributions in each,
and (with --check) whether the zip holds ≤ 12 MB and the app imports from the zip + the layer alone.

    python -m bench.package_size [build/dev] [--check]

Reads a built package (`make package` builds one; building needs PyPI, reading does not). The import check unzips
both archives into a temporary directory and imports `app`, every module of chalicelib, and every module the
shipped distributions declare, in a `python -I -S -B` subprocess whose sys.path is the function's directory, then
the layer's python/ (Lambda's order: /var/task, then /opt/python, then the runtime's own boto3), then the
standard library: no site-packages, so nothing the package lacks can come from this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LIMIT_BYTES = 12 * 10**6  # issue 11's target for deployment.zip (zipped)
SDK = ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six.py")  # never in deployment.zip
MB = 1e6


@dataclass
class Archive:
    path: Path
    bytes_on_disk: int
    zipped: int  # compressed size of the entries
    unzipped: int
    parts: dict[str, list[int]] = field(default_factory=dict)  # owner -> [zipped, unzipped]


def owner_of_entries(zipped: zipfile.ZipFile, prefix: str) -> dict[str, str]:
    """entry name -> its distribution ("botocore 1.44.8"), from the .dist-info/RECORD files in the archive."""
    owners: dict[str, str] = {}
    for name in zipped.namelist():
        if name.endswith(".dist-info/RECORD"):
            info = name[len(prefix) :].split("/", 1)[0][: -len(".dist-info")]
            distribution, _, version = info.partition("-")
            for line in zipped.read(name).decode().splitlines():
                path = line.rsplit(",", 2)[0]
                if path and not path.startswith(".."):
                    owners[prefix + path] = f"{distribution} {version}"
    return owners


def measure(path: Path, prefix: str = "") -> Archive:
    with zipfile.ZipFile(path) as zipped:
        owners = owner_of_entries(zipped, prefix)
        parts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for info in zipped.infolist():
            if info.is_dir():
                continue
            owner = owners.get(info.filename) or info.filename[len(prefix) :].split("/", 1)[0]
            parts[owner][0] += info.compress_size
            parts[owner][1] += info.file_size
    return Archive(
        path,
        path.stat().st_size,
        sum(z for z, _ in parts.values()),
        sum(u for _, u in parts.values()),
        dict(parts),
    )


def report(archive: Archive, top: int = 10) -> None:
    print(
        f"{archive.path}: {archive.bytes_on_disk / MB:.2f} MB zipped (file), "
        f"{archive.unzipped / MB:.2f} MB unzipped, {len(archive.parts)} distributions or top-level entries"
    )
    print(f"  {'top ' + str(top) + ' by zipped size':<40} {'zipped MB':>10} {'unzipped MB':>12}")
    ranked = sorted(archive.parts.items(), key=lambda item: -item[1][0])
    for owner, (zipped, unzipped) in ranked[:top]:
        print(f"  {owner:<40} {zipped / MB:>10.2f} {unzipped / MB:>12.2f}")


IMPORT_CHECK = r"""
import importlib, json, pkgutil, sys
task, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [task, layer]
import app  # the handler module of every function
import chalicelib
for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    importlib.import_module(module.name)
from chalicelib.api.docs_assets import DOCS_ASSETS, docs_asset
for name in DOCS_ASSETS:  # the Swagger UI files GET /v1/docs serves, read from the shipped package
    assert docs_asset(name), name
for module in json.loads(sys.argv[3]):
    importlib.import_module(module)
import boto3, botocore
print(json.dumps({
    "boto3": [boto3.__version__, boto3.__file__],
    "botocore": [botocore.__version__, botocore.__file__],
    "outside": sorted({m.__name__.split(".")[0] for m in list(sys.modules.values())
                       if getattr(m, "__file__", None) and "site-packages" in m.__file__}),
}))
"""


def shipped_modules(root: Path) -> list[str]:
    """Top-level importable modules of the distributions unpacked under `root` (from top_level.txt or RECORD)."""
    modules: set[str] = set()
    for info in root.glob("*.dist-info"):
        top_level = info / "top_level.txt"
        names = top_level.read_text().split() if top_level.exists() else []
        if not names:
            for line in (info / "RECORD").read_text().splitlines():
                first = line.rsplit(",", 2)[0].split("/", 1)[0]
                if first.endswith(".py") or (root / first / "__init__.py").exists():
                    names.append(first.removesuffix(".py"))
        modules.update(n for n in names if n.isidentifier() and not n.startswith("_"))
    return sorted(modules)


def _unpacked(source: Path, into: Path) -> Path:
    """`source` itself if a directory, else the zip extracted into `into`."""
    if source.is_dir():
        return source
    with zipfile.ZipFile(source) as zipped:
        zipped.extractall(into)
    return into


def import_check(package: Path, layer: Path) -> dict:
    """Imports the app in an isolated interpreter from the package (deployment.zip, or a directory laid out like
    it) and the layer (sdk-layer.zip, or the directory that is its python/); raises if any import fails.
    Answers where boto3 and botocore came from, and the shipped modules it imported."""
    with tempfile.TemporaryDirectory() as tmp:
        task = _unpacked(package, Path(tmp) / "task")
        opt = layer if layer.is_dir() else _unpacked(layer, Path(tmp) / "opt") / "python"
        modules = shipped_modules(task) + shipped_modules(opt)
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", IMPORT_CHECK, str(task), str(opt), json.dumps(modules)],
            capture_output=True,
            text=True,
            timeout=300,
            env={"AWS_DEFAULT_REGION": "eu-west-1", "STAGE": "dev", "PATH": "/usr/bin:/bin"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"the app does not import from the package + layer:\n{result.stderr[-4000:]}")
        found = json.loads(result.stdout.strip().splitlines()[-1])
        found["modules"] = modules
        found["from_layer"] = all(Path(found[sdk][1]).is_relative_to(opt) for sdk in ("boto3", "botocore"))
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", type=Path, default=Path("build/dev"))
    parser.add_argument("--check", action="store_true", help="exit 1 unless ≤ 12 MB, no SDK inside, app imports")
    args = parser.parse_args(argv)

    package = measure(args.build / "deployment.zip")
    layer_path = args.build / "sdk-layer.zip"
    layer = measure(layer_path, prefix="python/") if layer_path.exists() else None
    report(package)
    if layer is not None:
        print()
        report(layer)
        print(
            f"\nfunction + layer: {(package.bytes_on_disk + layer.bytes_on_disk) / MB:.2f} MB zipped, "
            f"{(package.unzipped + layer.unzipped) / MB:.2f} MB unzipped (Lambda's limit: 250 MB unzipped)"
        )
    fits = package.bytes_on_disk <= LIMIT_BYTES
    print(f"\ndeployment.zip ≤ {LIMIT_BYTES / MB:.0f} MB: {'yes' if fits else 'NO'}")
    with zipfile.ZipFile(package.path) as zipped:
        sdk_inside = sorted({n.split("/", 1)[0] for n in zipped.namelist() if n.split("/", 1)[0] in SDK})
        bytecode = sum(1 for n in zipped.namelist() if "__pycache__/" in n)
    print(f"AWS SDK inside deployment.zip: {', '.join(sdk_inside) or 'none'}; __pycache__ files: {bytecode}")
    if not args.check:
        return 0

    failures = []
    if not fits:
        failures.append("deployment.zip is over 12 MB")
    if sdk_inside:
        failures.append(f"the SDK is in deployment.zip ({sdk_inside}): was chalice run without PIP_NO_DEPS=1?")
    if bytecode:
        failures.append(f"{bytecode} __pycache__ files in deployment.zip (a test run's, zipped with chalicelib)")
    if layer is None:
        failures.append(f"no {layer_path}")
    else:
        found = import_check(package.path, layer_path)
        print(
            f"app imports from the package + layer alone ({len(found['modules'])} shipped modules imported too); "
            f"boto3 {found['boto3'][0]}, botocore {found['botocore'][0]} from the layer"
        )
        if not found["from_layer"]:
            failures.append(f"boto3 or botocore imported from elsewhere than the layer: {found}")
        if found["outside"]:
            failures.append(f"modules from a site-packages: {found['outside']}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
