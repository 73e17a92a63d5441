"""README's figures about the suite come from the suite: the test counts it states are the counts
pytest collects; and it stays what a newcomer reads in one sitting."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT

README = ROOT / "README.md"


@pytest.mark.slow
def test_the_readme_states_the_number_of_tests_the_suite_collects():
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=",
                             "-m", "not slow"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    fast, count = map(int, re.search(r"(\d+)/(\d+) tests collected", listed.stdout).groups())
    text = README.read_text()
    stated = re.search(r"`python -m pytest` \((\d+) tests", text)
    assert stated is not None, "README's test command no longer states the count"
    assert int(stated.group(1)) == count, f"README says {stated.group(1)} tests; the suite collects {count}"
    stated_fast = re.search(r"runs the other (\d+) in", text)
    assert stated_fast is not None, "README no longer states the fast tier's count"
    assert int(stated_fast.group(1)) == fast, f"README says {stated_fast.group(1)} fast tests; pytest selects {fast}"


def test_the_readme_is_short_and_its_set_up_is_two_commands():
    text = README.read_text()
    assert len(text.splitlines()) <= 300, "README.md holds at most 300 lines: move the rest to docs/"
    set_up = text.split("## Set up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert set_up.split() == ["pip", "install", "-r", "requirements.txt", "python", "app.py"], set_up
    assert "python -m pytest -m \"not slow\"" in text and "`python -m pytest`" in text
