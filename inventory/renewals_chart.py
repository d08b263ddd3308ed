"""The renewals forecast drawn as a bar chart: one stacked bar per period, its series bottom
up in legend order, with gridlines at round numbers.

`draw` gives geometry only, in the chart's own coordinates (the SVG viewBox); the template
writes the few SVG elements (no chart library) and the stylesheet colours each series.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from inventory.renewals import Forecast, Period, Series

#: The chart's coordinates (the SVG viewBox) and margins for the axis labels.
CHART_WIDTH = 1100
CHART_HEIGHT = 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 8, 24, 48
_BAR_SHARE = 0.62  # of each period's slot


@dataclass(frozen=True)
class Segment:
    series: Series
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    period: Period
    total: int
    url: str
    x: float  # left edge of the period's slot
    slot: float
    bar_x: float
    bar_width: float
    top: float  # y of the stack's top
    segments: list[Segment]

    @property
    def center(self) -> float:
        return round(self.x + self.slot / 2, 2)

    @property
    def label_lines(self) -> list[str]:
        """The axis label in two short lines: 'Feb' / '2026', 'Ended' / 'before'."""
        words = self.period.label.split(" ", 1)
        return words if len(words) == 2 else [*words, ""]

    @property
    def description(self) -> str:
        """What the bar says to a screen reader: 'March 2026: 12 tokens (New 5, ...)'."""
        parts = ", ".join(f"{s.series.label} {s.count:,}" for s in self.segments)
        noun = "token" if self.total == 1 else "tokens"
        return f"{self.period.title}: {self.total:,} {noun}" + (f" ({parts})" if parts else "")


@dataclass(frozen=True)
class Tick:
    value: int
    y: float

    @property
    def label(self) -> str:
        return f"{self.value:,}"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]


def _nice_step(largest: int) -> int:
    """A step of 1, 2 or 5 times a power of ten giving at most five gridlines above 0."""
    rough = max(largest, 1) / 5
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    for multiple in (1, 2, 5, 10):
        if multiple * power >= rough:
            return max(1, multiple * power)
    return 10 * power


def draw(forecast: Forecast, url: Callable[[Period], str]) -> Chart:
    """The stacked bars (one per period, its series bottom up in legend order) and the
    gridlines, in chart coordinates; `url(period)` is where each bar links."""
    plot_width = CHART_WIDTH - _LEFT - _RIGHT
    plot_height = CHART_HEIGHT - _TOP - _BOTTOM
    baseline = CHART_HEIGHT - _BOTTOM
    largest = max((forecast.period_total(period) for period in forecast.periods), default=0)
    step = _nice_step(largest)
    top_value = max(step, math.ceil(largest / step) * step)
    scale = plot_height / top_value
    slot = plot_width / len(forecast.periods)
    bar_width = slot * _BAR_SHARE
    bars = []
    for index, period in enumerate(forecast.periods):
        x = _LEFT + index * slot
        y = float(baseline)
        segments = []
        for series in forecast.series:
            count = forecast.count(period, series)
            if not count:
                continue
            height = count * scale
            y -= height
            segments.append(Segment(series, count, round(y, 2), round(height, 2)))
        bars.append(
            Bar(
                period=period,
                total=forecast.period_total(period),
                url=url(period),
                x=round(x, 2),
                slot=round(slot, 2),
                bar_x=round(x + (slot - bar_width) / 2, 2),
                bar_width=round(bar_width, 2),
                top=round(y, 2),
                segments=segments,
            )
        )
    ticks = [
        Tick(value, round(baseline - value * scale, 2)) for value in range(0, top_value + 1, step)
    ]
    return Chart(CHART_WIDTH, CHART_HEIGHT, _LEFT, CHART_WIDTH - _RIGHT, baseline, bars, ticks)
