"""The committed diagrams are exactly what coursepages.diagrams draws, and its functions check arguments."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from coursepages import diagrams

COMMITTED = Path(__file__).resolve().parents[1] / "book" / "figures" / "diagrams"


def test_committed_svgs_match_the_code(tmp_path):
    written = diagrams.write_all(tmp_path)
    assert [p.name for p in written] == [f"{n}.svg" for n in diagrams.DIAGRAMS]
    for path in written:
        committed = COMMITTED / path.name
        assert committed.exists(), f"{committed} missing: run tools/draw_diagrams.py"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"{committed.name} differs from what coursepages.diagrams draws: run tools/draw_diagrams.py")


def test_svg_is_reproducible_and_has_no_date():
    first = diagrams.svg_text("residual_block")
    assert first == diagrams.svg_text("residual_block")
    assert "<dc:date>" not in first
    assert first.lstrip().startswith("<?xml")


def test_clipping_geometry_is_the_real_clipping():
    geo = diagrams.clipping_geometry((3.0, 4.0), 1.0)
    # norm clipping: length c, same angle; value clipping: (1, 1), 45 degrees
    assert math.hypot(*geo["by_norm"]) == pytest.approx(1.0)
    assert geo["angle_by_norm"] == pytest.approx(geo["angle_g"])
    assert geo["by_value"] == (1.0, 1.0)
    assert geo["angle_by_value"] == pytest.approx(45.0)
    # a gradient already inside both regions is left alone by both
    small = diagrams.clipping_geometry((0.3, -0.2), 1.0)
    assert small["by_norm"] == pytest.approx((0.3, -0.2))
    assert small["by_value"] == pytest.approx((0.3, -0.2))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"gradient": (1.0,)}, ValueError, "gradient"),
    ({"gradient": (0.0, 0.0)}, ValueError, "gradient"),
    ({"gradient": "ab"}, TypeError, "gradient"),
    ({"gradient": (1.0, float("nan"))}, ValueError, r"gradient\[1\]"),
    ({"threshold": 0.0}, ValueError, "threshold"),
    ({"threshold": "1"}, TypeError, "threshold"),
])
def test_clipping_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        diagrams.clipping_geometry(**kwargs)
    with pytest.raises(exc, match=match):
        diagrams.clipping_2d(**kwargs)


def test_bad_names_and_folders(tmp_path):
    with pytest.raises(ValueError, match="name"):
        diagrams.draw("lstm")
    with pytest.raises(TypeError, match="name"):
        diagrams.svg_text(3)
    with pytest.raises(ValueError, match="names"):
        diagrams.write_all(tmp_path, ["chain_of_factors", "nope"])
    with pytest.raises(TypeError, match="names"):
        diagrams.write_all(tmp_path, "lstm_cell")
    with pytest.raises(TypeError, match="folder"):
        diagrams.write_all(3)
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    with pytest.raises(ValueError, match="folder"):
        diagrams.write_all(afile)


def test_draw_returns_one_figure_per_name():
    for name in diagrams.DIAGRAMS:
        fig = diagrams.draw(name)
        assert fig.get_figwidth() == pytest.approx(diagrams.SHRINK * diagrams.WIDTH)
