"""Dashboard charts drawn on the server with matplotlib, as SVG.

Served as images (``<img src=...svg>``), so they need no script and keep the strict Content
Security Policy; the same SVGs go into printed and PDF reports. The figures come from
outcomes.dashboard; every chart has a table of the same numbers on its page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server

from matplotlib.figure import Figure

from corespond.outcomes.dashboard import Month

INK = "#1b1f24"
MUTED = "#5b6470"
ACCENT = "#0b5cad"
SECOND = "#7aa7d6"
OK = "#1e7b45"
matplotlib.rcParams.update(
    {
        "svg.hashsalt": "corespond",  # stable element ids: the same data, the same file
        "font.size": 9,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _svg(fig: Figure, *, tight: bool = True) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="svg", bbox_inches="tight" if tight else None, metadata={"Date": None}
    )
    return buffer.getvalue()


def empty(message: str) -> bytes:
    """A chart-sized notice instead of a chart (no data, or figures withheld)."""
    fig = Figure(figsize=(6.4, 0.8))
    fig.text(0.02, 0.5, message, ha="left", va="center", color=MUTED, fontsize=10)
    return _svg(fig, tight=False)


def calls_by_month(months: Sequence[Month]) -> bytes:
    """Calls, eligible calls and eligible calls served, per month."""
    if not months or not any(m.calls for m in months):
        return empty("No calls in this period.")
    fig = Figure(figsize=(6.4, 2.8))
    ax = fig.add_subplot()
    x = range(len(months))
    ax.bar([i - 0.27 for i in x], [m.calls for m in months], 0.27, label="Calls", color=SECOND)
    ax.bar(x, [m.eligible for m in months], 0.27, label="Eligible", color=ACCENT)
    ax.bar([i + 0.27 for i in x], [m.served for m in months], 0.27, label="Served", color=OK)
    ax.set_xticks(list(x), [m.label for m in months], rotation=45, ha="right")
    ax.set_ylabel("Calls")
    ax.legend(frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.15))
    return _svg(fig)


def response_by_month(months: Sequence[Month]) -> bytes:
    """Median minutes from call to arrival, per month."""
    points = [(i, m.response_p50) for i, m in enumerate(months) if m.response_p50 is not None]
    if not points:
        return empty("No response times in this period.")
    fig = Figure(figsize=(6.4, 2.4))
    ax = fig.add_subplot()
    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color=ACCENT)
    ax.set_xticks(range(len(months)), [m.label for m in months], rotation=45, ha="right")
    ax.set_ylabel("Median minutes")
    ax.set_ylim(bottom=0)
    return _svg(fig)


def response_distribution(
    counts: Sequence[tuple[float, int]], p50: float | None, p90: float | None
) -> bytes:
    """How long people waited: call to arrival (minutes, with how many encounters waited
    each), with the median and 90th percentile marked. The axis stops at three times the 90th
    percentile so that a few very long waits do not flatten the rest; how many lie beyond is
    written on the chart."""
    if not counts:
        return empty("No response times in this period.")
    longest = max(m for m, _ in counts)
    limit = longest if not p90 else min(longest, 3 * p90)
    shown = [(m, n) for m, n in counts if m <= limit]
    beyond = sum(n for _, n in counts) - sum(n for _, n in shown)
    fig = Figure(figsize=(6.4, 2.4))
    ax = fig.add_subplot()
    ax.hist(
        [m for m, _ in shown],
        weights=[n for _, n in shown],
        bins=min(40, max(5, int(limit // 5) + 1)),
        color=SECOND,
    )
    for value, label, style, offset in (
        (p50, "median", "-", -10),
        (p90, "90th percentile", "--", -24),
    ):
        if value is not None:
            ax.axvline(value, color=INK, linestyle=style, linewidth=1)
            ax.annotate(
                f"{label} {value:.0f} min",
                (value, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, offset),
                textcoords="offset points",
                color=INK,
            )
    if beyond:
        ax.annotate(
            f"{beyond:,} longer than {limit:.0f} min not drawn",
            (1, 1),
            xycoords="axes fraction",
            xytext=(-3, -10),
            textcoords="offset points",
            ha="right",
            color=MUTED,
        )
    ax.set_xlabel("Minutes from call to arrival")
    ax.set_ylabel("Encounters")
    return _svg(fig)


def shares(labels: Sequence[str], values: Sequence[float], what: str) -> bytes:
    """Horizontal bars of shares (0-1), e.g. where people ended up."""
    pairs = [(label, v) for label, v in zip(labels, values, strict=True) if v]
    if not pairs:
        return empty(f"No {what} recorded in this period.")
    pairs.sort(key=lambda pair: pair[1])
    fig = Figure(figsize=(6.4, 0.4 * len(pairs) + 0.6))
    ax = fig.add_subplot()
    ax.barh([p[0] for p in pairs], [p[1] * 100 for p in pairs], color=ACCENT)
    for i, (_, v) in enumerate(pairs):
        ax.annotate(
            f"{v:.1%}",
            (v * 100, i),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            color=INK,
        )
    ax.set_xlabel("% of encounters with a disposition")
    ax.set_xlim(0, max(p[1] for p in pairs) * 115)
    return _svg(fig)


def care_by_month(months: Sequence[Month]) -> bytes:
    """Follow-ups connected to care and people engaged on scene, per month (rates)."""
    fig = Figure(figsize=(6.4, 2.4))
    ax = fig.add_subplot()
    drawn = False
    for attr, label, color in (
        ("engaged_rate", "Engaged on scene", SECOND),
        ("connected_rate", "Follow-ups connected", OK),
        ("diversion_rate", "Diverted", ACCENT),
    ):
        points = [(i, getattr(m, attr)) for i, m in enumerate(months)]
        points = [(i, v) for i, v in points if v is not None]
        if points:
            drawn = True
            ax.plot(
                [p[0] for p in points],
                [p[1] * 100 for p in points],
                marker="o",
                label=label,
                color=color,
            )
    if not drawn:
        return empty("No encounters or follow-ups in this period.")
    ax.set_xticks(range(len(months)), [m.label for m in months], rotation=45, ha="right")
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.2))
    return _svg(fig)


def before_after(result: Any, title: str) -> bytes:
    """Monthly rate before and after launch, the fitted segments, and the pre-launch trend
    carried on (what the model assumes would have happened without the program)."""
    months = [p[0] for p in result.points]
    x = list(range(len(months)))
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.add_subplot()
    ax.scatter(x, [p[1] * 100 for p in result.points], color=SECOND, s=14, label="Monthly rate")
    for after in (False, True):
        xs = [i for i, p in enumerate(result.points) if p[2] == after]
        ax.plot(
            xs,
            [result.fitted[i] * 100 for i in xs],
            color=ACCENT,
            linewidth=1.5,
            label="Fitted" if not after else None,
        )
    carried = [(i, v) for i, v in enumerate(result.counterfactual) if v is not None]
    ax.plot(
        [c[0] for c in carried],
        [c[1] * 100 for c in carried],
        color=MUTED,
        linestyle="--",
        linewidth=1,
        label="Trend before launch, carried on",
    )
    launch = next(i for i, p in enumerate(result.points) if p[2])
    ax.axvline(launch - 0.5, color=INK, linewidth=0.8)
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], [f"{m:%b %Y}" for m in months][::step], rotation=45, ha="right")
    ax.set_ylabel(f"{title} (%)")
    ax.legend(frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.22), fontsize=8)
    return _svg(fig)
