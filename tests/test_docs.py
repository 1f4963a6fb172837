"""The documents that ship with the kit: every rule's citation resolves to a section of
docs/contract.md, every declaration key is explained in docs/declaration.md, and an installed
wheel carries both next to the spec."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sessions_docs
import yaml
from sessions_spec import SPEC_DIR, VOCABULARY_PATH

from contract_tests import RULES

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"docs/contract\.md(#[a-z-]+(?:,? #[a-z-]+)*)")


def sections(markdown: str) -> dict[str, str]:
    """Each second-level section of a page by its heading's anchor, as GitHub and most renderers make it."""
    found = {}
    for part in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        found[re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")] = body
    return found


CONTRACT_SECTIONS = sections(sessions_docs.CONTRACT.read_text(encoding="utf-8"))
CONTRACT_ANCHORS = set(CONTRACT_SECTIONS)


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_cites_a_section_that_exists_and_names_it(name):
    section = RULES[name].rsplit("#", 1)[1].rstrip(")")
    assert section in CONTRACT_ANCHORS, f"{name} cites #{section}, no heading of docs/contract.md"
    assert f"`{name}`" in CONTRACT_SECTIONS[section], f"docs/contract.md#{section} does not name the rule `{name}`"


def test_every_citation_in_the_suite_resolves():
    cited = set()
    for module in (ROOT / "contract_tests").glob("*.py"):
        for match in CITATION.finditer(module.read_text(encoding="utf-8")):
            cited |= set(re.findall(r"#([a-z-]+)", match.group(1)))
    assert cited, "the suite cites no section"
    assert cited <= CONTRACT_ANCHORS, f"cited sections with no heading: {sorted(cited - CONTRACT_ANCHORS)}"


def _vocabulary_keys() -> set[str]:
    """Every key of the declaration's vocabulary, from its JSON Schema."""
    schema = yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))
    keys = set()

    def walk(node):
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema["$defs"])
    return keys


def test_every_declaration_key_is_explained():
    page = re.sub(r"^```.*?^```", "", sessions_docs.DECLARATION.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    explained = {word for span in re.findall(r"`([^`]+)`", page) for word in re.findall(r"[a-z-]+", span)}
    missing = _vocabulary_keys() - explained
    assert not missing, f"docs/declaration.md does not explain {sorted(missing)}"


def test_a_built_wheel_ships_the_spec_its_data_the_docs_and_the_docs_page(tmp_path):
    source = tmp_path / "source"  # a copy: the build leaves its work files beside the project
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "__pycache__", "build", "dist", "*.egg-info",
                                                                "node_modules", "tests", "bench"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"sessions_spec/{p.relative_to(SPEC_DIR).as_posix()}" for p in SPEC_DIR.rglob("*.yaml")}
    shipped |= {f"sessions_docs/{p.name}" for p in sessions_docs.DOCS_DIR.glob("*.md")}
    shipped |= {f"mock_server/assets/{p.name}" for p in (ROOT / "mock_server" / "assets").iterdir()}
    assert shipped <= names, f"missing from the wheel: {sorted(shipped - names)}"


def test_the_readme_lists_every_rule_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z_0-9]+)` \| .*\(docs/contract\.md#", readme, re.MULTILINE)
    assert sorted(listed) == sorted(RULES)
