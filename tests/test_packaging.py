"""The wheel installs one top-level package, chancery, with its data files."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_only_the_chancery_namespace(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("chancery-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"chancery"}
    for expected in ("chancery/search/searcher.py", "chancery/api/__init__.py", "chancery/api/static/index.html",
                     "chancery/search/data/persons.tsv", "chancery/search/data/person_tagger.json"):
        assert expected in names
