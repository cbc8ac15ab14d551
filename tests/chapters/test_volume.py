"""The volume chapter on the default assessment: its saved result states the annex's figures."""

import json

import pandas as pd

from csplib.chapters import volume


def test_result_matches_the_annex(synthetic_run):
    saved = json.loads((synthetic_run / "results" / "01_volume.json").read_text())
    table = pd.read_csv(synthetic_run / "tables" / "01_volume__assessed_period.csv", index_col=0)
    crimes = int(table.drop(index=["Anti-social behaviour", "All"])["count"].astype(int).sum())
    assert saved["headline"]["crimes"] == crimes
    assert saved["headline"]["asb"] == int(table.loc["Anti-social behaviour", "count"])
    assert saved["headline"]["months_covered"] == saved["headline"]["months_in_period"] == 12
    assert f"recorded {crimes:,} crimes" in saved["findings"][0]["text"]
    assert [t["name"] for t in saved["tables"]] == list(volume.TABLE_NAMES)
    for name in volume.TABLE_NAMES:
        assert (synthetic_run / "tables" / f"01_volume__{name}.csv").is_file()
