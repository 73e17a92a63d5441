"""The measurement tables of README.md and docs/*.md are what scripts/tables.py writes from
bench/results/*.json: a bench rerun without the script, or a figure typed by hand, fails here."""

import importlib.util
from collections import Counter

from conftest import ROOT

# scripts/ is not a package: load the script itself, as `python scripts/tables.py` runs it.
_spec = importlib.util.spec_from_file_location("tables", ROOT / "scripts" / "tables.py")
tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tables)


def test_every_generated_table_is_what_its_json_says():
    stale = [f"{page.relative_to(ROOT)}: {name}" for page in tables.pages() for name in tables.drift(page.read_text())]
    assert not stale, f"run python scripts/tables.py; these differ from bench/results/: {stale}"


def test_every_marker_names_a_known_table_and_every_table_is_used_once():
    used = Counter()
    for page in tables.pages():
        text = page.read_text()
        named = tables.markers(text)
        # a marker the block pattern does not match (a typo, a missing end marker) would never be rewritten
        assert named == [m["name"] for m in tables.BLOCK.finditer(text)], f"{page.name}: a malformed table marker"
        used.update(named)
    unknown = sorted(set(used) - set(tables.TABLES))
    assert not unknown, f"markers name tables scripts/tables.py does not know: {unknown}"
    wrong = {name: used[name] for name in tables.TABLES if used[name] != 1}
    assert not wrong, f"each registered table must appear exactly once across the pages (name: times): {wrong}"
