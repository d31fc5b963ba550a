"""Digest charts as PNG bytes (matplotlib, Agg). A chart with nothing to show is not drawn (None).

Each chart is built as a Figure first (`*_figure`) so its layout can be checked: no legend on a
bar, no label half on a bar and half off it, nothing cut off at the edge."""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Iterator

from matplotlib.figure import Figure

from analytics.bottlenecks import BottleneckReport

WIDTH_IN, DPI = 5.6, 200  # 560 px wide in the email, drawn at 2x for sharp text
BLUE, GREY, ORANGE, GREEN, RED = "#2563eb", "#cbd5e1", "#ea580c", "#16a34a", "#dc2626"
STYLE = {
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def _figure(height_in: float, ncols: int = 1):  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def channels_png(
    channels: list[str], current: list[int], previous: list[int], now_label: str, prev_label: str
) -> bytes | None:
    fig = channels_figure(channels, current, previous, now_label, prev_label)
    return _png(fig) if fig is not None else None


def channels_figure(
    channels: list[str], current: list[int], previous: list[int], now_label: str, prev_label: str
) -> Figure | None:
    """Conversations per channel, this period against the one before."""
    if not channels or not (sum(current) + sum(previous)):
        return None
    with _style():
        # The legend gets its own row under the title: wherever it sits inside the axes, some
        # period's longest bar runs under it.
        fig, ax = _figure(0.8 + 0.42 * len(channels))
        ys = range(len(channels))
        ax.barh([y - 0.2 for y in ys], current, height=0.38, color=BLUE, label=now_label)
        ax.barh([y + 0.2 for y in ys], previous, height=0.38, color=GREY, label=prev_label)
        for y, v in zip(ys, current):
            ax.text(v, y - 0.2, f" {v}", va="center", fontsize=8)
        ax.set_yticks(list(ys), channels)
        ax.invert_yaxis()
        ax.set_title("Conversations by channel", pad=16)
        ax.legend(
            frameon=False,
            fontsize=8,
            loc="lower left",
            bbox_to_anchor=(0, 1),
            ncol=2,
            borderaxespad=0.2,
            borderpad=0,
            handlelength=1.2,
        )
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        _fit_labels(fig, ax)
    return fig


def funnel_png(report: BottleneckReport) -> bytes:
    return _png(funnel_figure(report))


def funnel_figure(report: BottleneckReport) -> Figure:
    """How many processes entered each stage of a pipeline; the stage holding most stalled items in red."""
    stages = list(report.stages)
    with _style():
        # Bars from one edge with the figures after each bar: a centred label on a narrow bar
        # runs off it ("delivered: 1  50% of previous" on a bar one item wide).
        fig, ax = _figure(0.6 + 0.3 * len(stages))
        ys = range(len(stages))
        ax.barh(
            list(ys),
            [s.entered for s in stages],
            height=0.62,
            color=[RED if s.stage == report.bottleneck else BLUE for s in stages],
        )
        for y, s in zip(ys, stages):
            conv = f" · {s.conversion:.0%} of previous" if s.conversion is not None else ""
            stalled = f" · {s.stalled} stalled" if s.stalled else ""
            ax.text(
                s.entered,
                y,
                f" {s.entered}{conv}{stalled}",
                va="center",
                fontsize=8,
                color=RED if s.stalled else "#0f172a",
            )
        ax.set_yticks(list(ys), [s.stage.replace("_", " ") for s in stages])
        ax.tick_params(axis="y", length=0)
        ax.invert_yaxis()
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        title = f"{report.pipeline.capitalize()} pipeline"
        if report.bottleneck:
            title += f": most stalled in {report.bottleneck.replace('_', ' ')}"
        ax.set_title(title)
        fig.tight_layout()
        _fit_labels(fig, ax)
    return fig


def _fit_labels(fig: Figure, ax) -> None:  # type: ignore[no-untyped-def]
    """Widen the x range until every label written after a bar's end ends inside the axes."""
    renderer = fig.canvas.get_renderer()
    width = ax.get_window_extent(renderer).width
    right = max(ax.get_xlim()[1], 1e-9)
    for text in ax.texts:
        x, room = text.get_position()[0], width - text.get_window_extent(renderer).width - 4
        if room > 0 and x > 0:
            right = max(right, x * width / room)
    ax.set_xlim(0, right)


def trend_png(
    labels: list[str], conversations: list[float | None], rates: dict[str, list[float | None]]
) -> bytes | None:
    """Conversations per period and the assistant's rates, over the history and this period."""
    if not any(conversations):
        return None
    with _style():
        fig, (left, right) = _figure(2.3, ncols=2)
        colours = [GREY] * (len(labels) - 1) + [BLUE]
        left.bar(range(len(labels)), [c or 0 for c in conversations], color=colours)
        left.set_xticks(range(len(labels)), labels)
        left.set_title("Conversations")
        left.tick_params(axis="x", labelrotation=45, labelsize=7)
        for (name, values), colour in zip(rates.items(), (GREEN, ORANGE, RED)):
            points = [(i, v) for i, v in enumerate(values) if v is not None]
            xs, ys = [i for i, _ in points], [v * 100 for _, v in points]
            right.plot(xs, ys, marker="o", markersize=3, color=colour, label=name)
        right.set_xticks(range(len(labels)), labels)
        right.tick_params(axis="x", labelrotation=45, labelsize=7)
        right.set_ylim(0, 100)
        right.set_title("Assistant (%)")
        handles, names = right.get_legend_handles_labels()
        fig.legend(handles, names, frameon=False, fontsize=7, loc="lower center", ncol=3)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _png(fig)
