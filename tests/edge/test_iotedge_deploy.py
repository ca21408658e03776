"""The IoT Edge packaging: the deployment manifest template, the image's Dockerfile and its lock.

Neither the image nor the deployment can be built or applied here (no container daemon, no IoT
Hub). What can be checked is that they agree with the code: the manifest's twin example is a
configuration the module accepts and within IoT Hub's twin limits, its command line parses,
its volume is where the module keeps its data, and the image's lock holds every package the
module imports, at the versions the tests ran.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edge_runtime.iot.desired import parse_desired
from footfall.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "iotedge"
MODULE = "footfall"
TWIN_LIMIT_BYTES = 32 * 1024  # IoT Hub: desired properties, keys and values, at most 32 KB
TWIN_MAX_DEPTH = 10


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DEPLOY / "deployment.template.json").read_text())


@pytest.fixture(scope="module")
def module(manifest) -> dict:
    agent = manifest["modulesContent"]["$edgeAgent"]["properties.desired"]
    return agent["modules"][MODULE]


def test_the_manifest_deploys_the_runtime_and_the_module(manifest, module):
    content = manifest["modulesContent"]
    agent = content["$edgeAgent"]["properties.desired"]
    assert set(agent["systemModules"]) == {"edgeAgent", "edgeHub"}
    assert "properties.desired" in content["$edgeHub"]
    assert module["type"] == "docker" and module["restartPolicy"] == "always"
    assert module["settings"]["image"].endswith("/footfall-edge:0.1.0")


def test_the_twin_example_is_a_configuration_the_module_accepts(manifest):
    desired = manifest["modulesContent"][MODULE]["properties.desired"]
    config = parse_desired(desired, ROOT / "models")
    assert config.camera_id in {camera.id for camera in config.layout.cameras}
    assert config.detector.kind == "ssd"


def test_the_twin_example_fits_iot_hub_limits(manifest):
    desired = manifest["modulesContent"][MODULE]["properties.desired"]

    def walk(value, depth: int):
        if isinstance(value, dict):
            for key, item in value.items():
                assert not re.search(r"[.$ ]", key), f"key {key!r} is not allowed in a twin"
                yield from walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, depth + 1)
        else:
            yield depth

    assert max(walk(desired, 0)) <= TWIN_MAX_DEPTH
    assert len(json.dumps(desired, separators=(",", ":")).encode()) < TWIN_LIMIT_BYTES


def test_the_module_command_line_parses(module):
    options = module["settings"]["createOptions"]
    args = build_parser().parse_args(["edge", "module", *options["Cmd"]])
    assert args.func.__name__ == "cmd_edge_module"


def test_the_data_folder_is_a_volume_where_the_image_keeps_its_data(module):
    mounts = module["settings"]["createOptions"]["HostConfig"]["Mounts"]
    data_dir = module["env"]["FOOTFALL_DATA_DIR"]["value"]
    assert {"Type": "volume", "Source": "footfall-data", "Target": data_dir} in mounts
    assert f"ENV FOOTFALL_DATA_DIR={data_dir}" in (DEPLOY / "Dockerfile").read_text()


def test_the_image_runs_the_module_as_a_user_from_the_edge_lock():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["python", "-m", "footfall.cli", "edge", "module"]' in dockerfile
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (ROOT / source).exists(), source
    assert "deploy/iotedge/requirements.lock" in dockerfile


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(), re.M)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in found}


def test_the_edge_lock_pins_what_the_main_lock_pins():
    edge, main = pins(DEPLOY / "requirements.lock"), pins(ROOT / "requirements.lock")
    assert edge and {name: main.get(name) for name in edge} == edge
    assert not {"dagster", "dbt-core", "duckdb", "great-expectations"} & edge.keys()


IMPORTED_DISTRIBUTIONS = """
import importlib.metadata as md, json, os, sys
before = set(sys.modules)  # the interpreter's own start-up (site hooks) is not the module's
import footfall.cli, edge_runtime.cli
from edge_runtime.iot import cli, client, desired, host, twin
from edge_runtime.detection import custom_vision, ssd, yolo
import edge_runtime.annotate, edge_runtime.pipeline, edge_runtime.sinks, edge_runtime.sources
import azure.iot.device
by_top = md.packages_distributions()
found, shared = set(), {}
for name, module in list(sys.modules.items()):
    if name in before or not getattr(module, "__file__", None):
        continue
    dists = by_top.get(name.split(".")[0], [])
    if len(dists) == 1:
        found.add(dists[0])
    elif dists:  # a namespace package (azure.*): the module's file tells whose it is
        shared.setdefault(tuple(dists), set()).add(os.path.realpath(module.__file__))
for dists, files in shared.items():
    for dist in dists:
        own = {os.path.realpath(md.distribution(dist).locate_file(f))
               for f in md.distribution(dist).files or []}
        if own & files:
            found.add(dist)
print(json.dumps(sorted(found)))
"""


def test_the_edge_lock_holds_every_package_the_module_imports():
    # A fresh interpreter, so that only the module's own imports are counted.
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    imported = {re.sub(r"[-_.]+", "-", name).lower() for name in json.loads(done.stdout)}
    missing = imported - pins(DEPLOY / "requirements.lock").keys() - {"footfall"}
    assert imported and not missing, f"not in deploy/iotedge/requirements.lock: {missing}"
