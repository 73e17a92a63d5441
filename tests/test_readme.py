"""README's figures about the suite come from the suite: the test count it states is the count
pytest collects."""

import re
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_the_readme_states_the_number_of_tests_the_suite_collects():
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts="],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    count = int(re.search(r"(\d+) tests? collected", listed.stdout).group(1))
    stated = re.search(r"`python -m pytest` \((\d+) tests", (ROOT / "README.md").read_text())
    assert stated is not None, "README's test command no longer states the count"
    assert int(stated.group(1)) == count, f"README says {stated.group(1)} tests; the suite collects {count}"
