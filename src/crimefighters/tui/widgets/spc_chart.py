"""An SPC chart in the terminal: the monthly series, centre line, process limits and the
special-cause points, each state with its own marker as well as its colour; months the meeting
left out of the limits marked E, and months with a meeting's note marked by a vertical line
(the note itself is written under the chart)."""

from __future__ import annotations

import polars as pl
from textual_plotext import PlotextPlot

MARKERS = {
    "special_cause_concern": ("X", "orange"),
    "special_cause_improvement": ("O", "blue"),
    "special_cause_neutral_high": ("N", "magenta"),
    "special_cause_neutral_low": ("N", "magenta"),
    "excluded": ("E", "gray"),  # left out of the limits by the meeting (spc.EXCLUDED)
}


class SpcChart(PlotextPlot):
    """Draws a ``scan.drill.series_points`` frame; ``drawn`` counts renders (for benchmarks)."""

    DEFAULT_CSS = """
    SpcChart { height: 1fr; min-height: 8; }
    """

    def __init__(self, points: pl.DataFrame, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.points = points
        self.title = title
        self.annotations: list[tuple] = []  # (month, excluded from limits)
        self.drawn = 0

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(self.title)
        if self.points.height == 0:
            plt.text("not charted: too few points or too small a count", x=0, y=0)
            return
        months = [f"{m:%Y-%m}" for m in self.points["month"]]
        x = list(range(1, len(months) + 1))
        step = max(1, len(x) // 6)
        plt.xticks(x[::step], [months[i - 1][2:] for i in x[::step]])
        for column, label, color in (
            ("upl", "limit", "gray"),
            ("lpl", None, "gray"),
            ("mean", "mean", "green"),
        ):
            values = self.points[column].to_list()
            if column == "lpl" and self.points["kind"][0] == "count":
                values = [max(0.0, v) if v is not None else None for v in values]
            plt.plot(x, values, color=color, label=label, marker="dot")
        plt.plot(
            x, self.points["value"].to_list(), color="default", label="value", marker="braille"
        )
        position = {m: i + 1 for i, m in enumerate(self.points["month"].to_list())}
        for month, _excluded in self.annotations:
            if month in position:
                plt.vline(position[month], color="cyan")
        for point_type, (marker, color) in MARKERS.items():
            flagged = self.points.with_row_index("i").filter(pl.col("point_type") == point_type)
            if flagged.height:
                plt.scatter(
                    [i + 1 for i in flagged["i"]],
                    flagged["value"].to_list(),
                    marker=marker,
                    color=color,
                )

    def render(self):
        self.drawn += 1
        return super().render()
