"""The install exposes one import name, ``valuegraph``, and one console script."""

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy of the sources, so that no build folder of an earlier build adds stale files
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", ".neo4j", ".demo", "build", "dist", "*.egg-info", "__pycache__", ".*cache"))
    # no build isolation: the test extras carry the build backend, so nothing is fetched
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(source)], check=True, cwd=out)
    (found,) = out.glob("valuegraph-*.whl")
    return found


def test_the_wheel_has_one_top_level_import_name(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"valuegraph"}
    # every layer is inside it, with its data files
    for part in ("graph/index.py", "schema/vocabulary.ttl", "loaders/recipes/gmpp.yaml", "api/app.py", "cli/main.py"):
        assert f"valuegraph/{part}" in names, part
    (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")] or [None]
    if top_level is not None:
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(top_level).decode().split() == ["valuegraph"]


def test_the_wheel_has_one_console_script_and_loaders_under_valuegraph(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_points).decode())
    assert dict(parser["console_scripts"]) == {"valuegraph": "valuegraph.cli.start:main"}
    assert all(target.startswith("valuegraph.loaders.") for target in parser["valuegraph.loaders"].values())


def test_the_wheel_ships_the_pages_built_assets(wheel):
    """`pip install .` serves working pages without node: every built file of api/static/ is in the wheel."""
    static = ROOT / "api" / "static"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    built = sorted(p.name for p in static.iterdir())
    assert {"pages.js", "pages.css", "graphiql.js", "graphiql.css", "swagger-ui-bundle.js"} <= set(built)
    assert [n for n in built if f"valuegraph/api/static/{n}" not in names] == []
