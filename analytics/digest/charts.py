"""Digest charts as PNG bytes (matplotlib, Agg). A chart with nothing to show is not drawn (None)."""
from __future__ import annotations

import io

WIDTH_IN, DPI = 5.6, 200  # 560 px wide in the email, drawn at 2x for sharp text
BLUE, GREY, ORANGE, GREEN, RED = "#2563eb", "#cbd5e1", "#ea580c", "#16a34a", "#dc2626"


def _figure(height_in: float, ncols: int = 1):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "axes.titlesize": 10, "axes.titleweight": "bold", "axes.titlelocation": "left"})
    return plt, *plt.subplots(1, ncols, figsize=(WIDTH_IN, height_in), dpi=DPI)


def _png(plt, fig, layout: bool = True) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    if layout:
        fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def channels_png(channels: list[str], current: list[int], previous: list[int], now_label: str, prev_label: str) -> bytes | None:
    """Conversations per channel, this period against the one before."""
    if not channels or not (sum(current) + sum(previous)):
        return None
    plt, fig, ax = _figure(0.55 + 0.42 * len(channels))
    ys = range(len(channels))
    ax.barh([y + 0.2 for y in ys], previous, height=0.38, color=GREY, label=prev_label)
    ax.barh([y - 0.2 for y in ys], current, height=0.38, color=BLUE, label=now_label)
    for y, v in zip(ys, current):
        ax.text(v, y - 0.2, f" {v}", va="center", fontsize=8)
    ax.set_yticks(list(ys), channels)
    ax.invert_yaxis()
    ax.set_title("Conversations by channel")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(plt, fig)


def trend_png(labels: list[str], conversations: list[float | None], rates: dict[str, list[float | None]]) -> bytes | None:
    """Conversations per period and the assistant's rates, over the history and this period."""
    if not any(conversations):
        return None
    plt, fig, (left, right) = _figure(2.3, ncols=2)
    colours = [GREY] * (len(labels) - 1) + [BLUE]
    left.bar(range(len(labels)), [c or 0 for c in conversations], color=colours)
    left.set_xticks(range(len(labels)), labels)
    left.set_title("Conversations")
    left.tick_params(axis="x", labelrotation=45, labelsize=7)
    for (name, values), colour in zip(rates.items(), (GREEN, ORANGE, RED)):
        xs = [i for i, v in enumerate(values) if v is not None]
        right.plot(xs, [values[i] * 100 for i in xs], marker="o", markersize=3, color=colour, label=name)
    right.set_xticks(range(len(labels)), labels)
    right.tick_params(axis="x", labelrotation=45, labelsize=7)
    right.set_ylim(0, 100)
    right.set_title("Assistant (%)")
    handles, names = right.get_legend_handles_labels()
    fig.legend(handles, names, frameon=False, fontsize=7, loc="lower center", ncol=3)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _png(plt, fig, layout=False)
