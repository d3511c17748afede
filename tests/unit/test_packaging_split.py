"""The split of what Lambda gets (issue 11): requirements.txt is deployment.zip's closed list without the AWS SDK,
requirements-sdk-layer.txt the layer's; both pinned to what the tests run. No network: the distributions are the
dev venv's, laid out as the package and the layer would be, and the app is imported from them alone."""

from __future__ import annotations

import json
import sys
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import chalice
import pytest
from packaging.requirements import Requirement

from bench.package_size import import_check
from infra.sdk_layer import normalize, pins, write_zip

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "requirements.txt"
LAYER = ROOT / "requirements-sdk-layer.txt"
SDK = {"boto3", "botocore", "s3transfer", "urllib3", "python-dateutil", "six"}
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"  # chalice takes the runtime from this Python
LAMBDA = {
    "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    "python_full_version": ".".join(map(str, sys.version_info[:3])),
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def extras_of(requirements: Path) -> dict[str, set[str]]:
    found = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            found[normalize(requirement.name)] = set(requirement.extras)
    return found


def dependencies(name: str, extras: set[str]) -> set[str]:
    """What `name` needs on Lambda (its markers evaluated there, with the extras asked for)."""
    needed = set()
    for text in distribution(name).requires or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({**LAMBDA, "extra": extra}) for extra in {"", *extras}):
            needed.add(normalize(requirement.name))
    return needed


def test_both_lists_pin_exactly_what_the_tests_run():
    for requirements in (FUNCTION, LAYER):
        for name, version in pins(requirements).items():
            assert distribution(name).version == version, (requirements.name, name)
    shared = pins(FUNCTION).keys() & pins(LAYER).keys()
    assert shared == {"jmespath"}  # powertools needs it too: the same pin in both (the zip's copy comes first)


def test_the_package_ships_no_sdk_and_lacks_nothing_but_the_sdk():
    function, layer = pins(FUNCTION), pins(LAYER)
    assert not SDK & function.keys()
    assert SDK <= layer.keys()
    for name, extras in extras_of(FUNCTION).items():
        missing = dependencies(name, extras) - function.keys() - layer.keys()
        assert not missing, f"{name} needs {missing}: add them to requirements.txt (PIP_NO_DEPS takes no others)"
    for name in layer:
        missing = dependencies(name, set()) - layer.keys()
        assert not missing, f"the layer's {name} needs {missing}: add them to requirements-sdk-layer.txt"


def test_every_function_gets_the_layer_declared_in_infra():
    template = json.loads((ROOT / "infra" / "resources.json").read_text())
    layer = template["Resources"]["SdkLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "./sdk-layer.zip"  # where `make package` writes it, by sam.json
    assert RUNTIME in layer["Properties"]["CompatibleRuntimes"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]
    assert len(layer["Properties"]["Description"]) <= 256  # Lambda's limit
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "SdkLayer"}]


def test_make_package_runs_chalice_without_dependency_resolution():
    recipe = (ROOT / "Makefile").read_text().split("\npackage:", 1)[1].split("\n\n", 1)[0]
    assert "PIP_NO_DEPS=1" in recipe and "chalice package" in recipe
    assert "infra.sdk_layer build/dev/sdk-layer.zip" in recipe and "bench.package_size --check" in recipe


def test_the_layer_zip_is_the_same_bytes_for_the_same_files(tmp_path):
    source = tmp_path / "site"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("X = 1\n")
    (source / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (source / "bin").mkdir()
    (source / "bin" / "tool").write_text("#!/bin/sh\n")
    write_zip(source, tmp_path / "a.zip", prefix="python/")
    (source / "pkg" / "__init__.py").touch()  # a later mtime changes nothing
    write_zip(source, tmp_path / "b.zip", prefix="python/")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == ["python/pkg/__init__.py"]


def test_pins_refuses_a_range(tmp_path):
    (tmp_path / "r.txt").write_text("boto3>=1.40\n")
    with pytest.raises(ValueError, match="not an exact pin"):
        pins(tmp_path / "r.txt")


def lay_out(names: list[str], into: Path) -> Path:
    """The installed distributions `names` linked into `into`, file by file, as pip --target lays them out."""
    for name in names:
        dist = distribution(name)
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue
            target = into / file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(Path(dist.locate_file(file)).resolve())
    return into


def package_from_venv(tmp_path: Path, leave_out: str = "") -> Path:
    """deployment.zip's layout: requirements.txt's distributions, app.py, chalicelib, and chalice's two files."""
    task = lay_out([name for name in pins(FUNCTION) if name != leave_out], tmp_path / "task")
    (task / "app.py").symlink_to(ROOT / "app.py")
    (task / "chalicelib").symlink_to(ROOT / "chalicelib")
    (task / "chalice").mkdir()
    for file in ("__init__.py", "app.py"):
        (task / "chalice" / file).symlink_to(Path(chalice.__file__).parent / file)
    return task


@pytest.mark.slow
def test_the_app_imports_from_the_package_and_the_layer_alone(tmp_path):
    found = import_check(package_from_venv(tmp_path), lay_out(list(pins(LAYER)), tmp_path / "opt" / "python"))
    assert found["from_layer"], found
    assert found["botocore"][0] == pins(LAYER)["botocore"] and found["boto3"][0] == pins(LAYER)["boto3"]
    assert {"pynamodb", "aws_lambda_powertools", "pydantic", "jwt", "jinja2", "pygal", "cryptography"} <= set(
        found["modules"]
    )


@pytest.mark.slow
def test_the_import_check_notices_a_missing_distribution(tmp_path):
    with pytest.raises(RuntimeError, match="pydantic_core"):
        import_check(
            package_from_venv(tmp_path, leave_out="pydantic-core"),
            lay_out(list(pins(LAYER)), tmp_path / "opt" / "python"),
        )
