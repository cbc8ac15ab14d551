"""How the contents page words the recommended priorities (csplib/run/contents.py)."""

from csplib.run.contents import priorities_text

HEADLINE = {
    "top_k": 2,
    "unscored_scales": [],
    "recommended": [
        {"theme": "Drugs", "score": 4.25, "robust": True},
        {"theme": "Anti-social behaviour", "score": 3.5, "robust": True},
    ],
}


def test_robust_priorities_are_said_to_stay_in_the_top():
    items, note = priorities_text(HEADLINE)
    assert items == ["Drugs (score 4.2 of 5)", "Anti-social behaviour (score 3.5 of 5)"]
    assert note == (
        "All stay in the top 2 under every plausible weighting and value of the scales not scored."
    )


def test_unscored_scales_are_named_before_anything_is_called_robust():
    headline = dict(HEADLINE, unscored_scales=["pct_change", "public_concern"])
    headline["recommended"] = [dict(r, robust=False) for r in HEADLINE["recommended"]]
    _, note = priorities_text(headline)
    assert note == (
        "Not scored for any theme: trend and public concern. Drugs and Anti-social behaviour "
        "could leave the top 2 under other weights or other values of the scales not scored."
    )


def test_no_priorities_say_nothing():
    assert priorities_text({}) == ([], "")
