"""The run-level disclosure audit on the default synthetic assessment: every page leaves a
ledger, and no hidden count of any table can be narrowed below the band by combining the
run's tables (pages, packs and the annex)."""

import json

from csplib.present.disclosure import Ledger, audit_run, ledger_path


def test_every_page_leaves_a_ledger_and_the_run_audit_finds_nothing(synthetic_run):
    out = synthetic_run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["disclosure_problems"] == []
    pages = [c["name"] for c in manifest["chapters"] + manifest["packs"] if c["status"] == "ok"]
    with_tables = {p.name.split("__")[0] for p in (out / "tables").glob("*.csv")}
    for page in with_tables:
        assert ledger_path(out, page).exists(), page
    assert audit_run(out) == []
    # the packs and the places page link the same ward counts by key
    places = Ledger.from_json(ledger_path(out, "05_places").read_text())
    keys = {c[0] for t in places.tables.values() for c in t.cells}
    linked = [
        p
        for p in pages
        if p.startswith("pack_")
        and keys
        & {c[0] for c in Ledger.from_json(ledger_path(out, p).read_text()).tables["wards"].cells}
    ]
    assert linked, "no pack shares a ward count with the places page"
