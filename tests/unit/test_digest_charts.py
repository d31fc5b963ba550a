"""The digest's charts read cleanly: no legend on a bar, no label half on a bar and half off it,
nothing cut off at the figure's edge. Checked on the drawn figure's geometry (pixels)."""

from __future__ import annotations

from datetime import datetime

from matplotlib.transforms import Bbox

from analytics.bottlenecks import BottleneckReport, StageStats
from analytics.digest import charts


def _area(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def clashes(fig) -> list[str]:  # type: ignore[no-untyped-def]
    """What a reader would see as broken, in words; [] when the layout is clean."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox.padded(1)
    found = []
    for ax in fig.axes:
        bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_width() > 0]
        texts = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
        texts += [(ax.title.get_text(), ax.title.get_window_extent(renderer))]
        legend = ax.get_legend()
        for text, box in texts:
            if not page.contains(box.x0, box.y0) or not page.contains(box.x1, box.y1):
                found.append(f"{text!r} is cut off at the edge")
            for bar in bars:
                shared = _area(box, bar)
                # Fully on a bar (white on blue) reads; partly on one does not.
                if shared > 1 and shared < 0.98 * box.width * box.height:
                    found.append(f"{text!r} spills over the edge of a bar")
        if legend is not None:
            lbox = legend.get_window_extent(renderer)
            if any(_area(lbox, bar) > 1 for bar in bars):
                found.append("the legend lies on the bars")
            if any(_area(lbox, box) > 1 for _, box in texts):
                found.append("the legend lies on a label")
    return found


def _stage(stage: str, entered: int, conversion: float | None, stalled: int = 0) -> StageStats:
    return StageStats(
        stage=stage,
        entered=entered,
        median_hours=None,
        p90_hours=None,
        conversion=conversion,
        current=0,
        stalled=stalled,
    )


def test_channel_legend_stays_off_the_bars_whichever_bar_is_longest():
    for current, previous in (([5, 8, 40], [4, 9, 38]), ([40, 8, 5], [38, 9, 4]), ([3, 3, 3], [3, 3, 3])):
        fig = charts.channels_figure(["telegram", "webchat", "rest"], current, previous, "this week", "the week before")

        assert clashes(fig) == [], (current, previous)


def test_funnel_labels_stay_readable_on_narrow_and_empty_bars():
    report = BottleneckReport(
        pipeline="order",
        generated_at=datetime(2026, 12, 1),
        stages=(
            _stage("pending", 200, None),
            _stage("paid", 150, 0.75),
            _stage("packed", 150, 1.0, stalled=12),
            _stage("shipped", 2, 0.013),
            _stage("delivered", 1, 0.5),
            _stage("returned", 0, 0.0),
        ),
        bottleneck="packed",
    )

    fig = charts.funnel_figure(report)

    assert clashes(fig) == []
    labels = (
        " ".join(t.get_text() for t in fig.axes[0].texts)
        + " "
        + " ".join(t.get_text() for t in fig.axes[0].get_yticklabels())
    )
    for words in ("delivered", "50% of previous", "12 stalled", "returned"):
        assert words in labels


def test_the_checker_sees_a_legend_on_a_bar_and_a_spilling_label():
    fig = charts.channels_figure(["a", "b"], [1, 50], [1, 50], "this week", "the week before")
    ax = fig.axes[0]
    ax.get_legend().remove()
    ax.legend(loc="lower right")  # over the long bottom bars
    ax.text(50, 0.8, "a label much wider than its bar", ha="center", va="center")

    found = clashes(fig)

    assert "the legend lies on the bars" in found
    assert any("spills" in f for f in found)
