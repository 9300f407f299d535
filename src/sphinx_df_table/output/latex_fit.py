"""How a df-table fits the printed page: font size, orientation and column widths.

Pure computation on texts (no docutils): :mod:`sphinx_df_table.output.latex`
measures a table's columns into :class:`Column` values and asks
:func:`choose_layout` for a :class:`Layout`.

Widths are estimated from the characters' widths in Sphinx's default fonts
(TeX Gyre Termes, a Times, for the body; TeX Gyre Heros, a Helvetica, for
header cells), raised by :data:`SAFETY` so that fonts a little wider (Latin
Modern) still fit. The page is the
narrowest that Sphinx's default settings give: A4's width and US letter's
height, less Sphinx's one-inch margins.

The rule, in order: a short table whose columns fit side by side at their
natural width is left to Sphinx and ``tabulary``, as before. Otherwise
each candidate layout is tried, portrait before landscape, and within each
the font sizes from ``\\normalsize`` down to the floor ``\\scriptsize``: the
first in which every column gets the width its content needs wins. Numbers
and short labels never wrap (their column is as wide as their longest
text); long text columns wrap at spaces (at least as wide as their longest
word, and as much wider as the line allows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Sizes a table may be set in, largest first: LaTeX's size command -> its size
#: in points in a document of 10pt type (other sizes scale in proportion).
FONT_SIZES: dict[str, float] = {
    "normalsize": 10.0,
    "small": 9.0,
    "footnotesize": 8.0,
    "scriptsize": 7.0,
    "tiny": 5.0,
}
#: The smallest size the automatic choice goes down to.
FLOOR = "scriptsize"
#: The sizes the automatic choice tries, largest first.
AUTO_SIZES = tuple(name for name in FONT_SIZES if FONT_SIZES[name] >= FONT_SIZES[FLOOR])

#: Text width (points) of a portrait page: A4 (210 mm) less two 1 in margins.
PORTRAIT_WIDTH = 450.0
#: Text width (points) of a landscape page: US letter's 11 in less two 1 in margins.
LANDSCAPE_WIDTH = 650.0
#: Space between a column's text and its rules, each side: LaTeX's default
#: ``\tabcolsep`` at natural size; tighter (in ems of the table's type) when smaller.
NATURAL_TABCOLSEP = 6.0
SMALL_TABCOLSEP_EM = 0.4
#: Width of one vertical rule (``\arrayrulewidth``).
RULE = 0.4
#: Estimates are raised by this factor: kerning, bold runs and fonts wider
#: than the metrics below must not make a column too narrow.
SAFETY = 1.08
#: A text column whose longest cell has more characters than this, with
#: spaces to break at, wraps; shorter ones are labels, kept on one line.
WRAP_AFTER = 24
#: A wrapping column is never narrower than this many ems.
MIN_WRAP_EMS = 8.0

# Advance widths (thousandths of an em) of ASCII 32..126: Helvetica, whose
# clone Sphinx sets header cells in (sans serif), and Times, whose clone it sets
# the other cells in.
_HELVETICA = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
_TIMES = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
)  # fmt: skip
#: Any other character: wider than most Latin letters.
_OTHER = 700


def text_ems(text: str, *, sans: bool = False) -> float:
    """The estimated width of ``text`` on one line, in ems of its font.

    ``sans``: in the header cells' sans-serif type, else in the body's serif.
    """
    widths = _HELVETICA if sans else _TIMES
    total = 0
    for char in text:
        code = ord(char)
        total += widths[code - 32] if 32 <= code <= 126 else _OTHER
    return total / 1000 * SAFETY


@dataclass(frozen=True)
class Column:
    """What the layout needs to know of one column, in ems of the table's type.

    ``longest``: its longest text on one line (header labels count by their
    longest word, as they wrap between words); ``longest_word``: its longest
    word, the least a wrapping column can be; ``wraps``: whether its text may
    wrap at spaces (a long text column).
    """

    longest: float
    longest_word: float
    wraps: bool


def measure_column(
    body: Sequence[str], header: Sequence[str], kind: str, *, stub: bool = False
) -> Column:
    """A :class:`Column` from a column's body texts and header texts.

    ``kind`` is the column's ``df_kind``; only ``"text"`` columns may wrap,
    and only when a cell is longer than :data:`WRAP_AFTER` characters and
    has a space to break at. ``stub``: a stub column, whose body cells are
    set in the header cells' type.
    """
    header_words = [word for text in header for word in text.split()]
    word = max((text_ems(w, sans=True) for w in header_words), default=0.0)
    longest = word
    long_text = False
    for text in body:
        longest = max(longest, text_ems(text, sans=stub))
        words = text.split()
        if len(words) > 1 and len(text) > WRAP_AFTER:
            long_text = True
        word = max(word, *(text_ems(w, sans=stub) for w in words or [""]))
    return Column(longest, word, wraps=kind == "text" and long_text)


@dataclass(frozen=True)
class Part:
    """Some of a table's columns, set side by side: their indexes and widths in points."""

    columns: tuple[int, ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class Layout:
    """How one table is set: the font size, the page, the columns.

    ``font_size``: a key of :data:`FONT_SIZES`, ``"normalsize"`` for the
    document's own size; ``landscape``: on a page of its own, turned;
    ``parts``: the table's columns as one or more :class:`Part` stacked one
    after the other (each after the first repeats the label columns), or
    empty to leave the columns to Sphinx (the natural widths fit, or the
    author's ``:widths:``); ``tabcolsep``: the space each side of a column's
    text in points, ``None`` for LaTeX's default; ``fits``: whether every
    column gets the width its content needs (``False`` only when even the
    last resort, or the author's choice, is too narrow).
    """

    font_size: str
    landscape: bool
    parts: tuple[Part, ...]
    tabcolsep: float | None
    fits: bool


def _tabcolsep(size_pt: float, natural: bool) -> float:
    return NATURAL_TABCOLSEP if natural else SMALL_TABCOLSEP_EM * size_pt


def _least(column: Column) -> float:
    """The narrowest ``column`` can be, in ems.

    Its longest word if it wraps (never under :data:`MIN_WRAP_EMS` unless its
    text is shorter), else its longest text.
    """
    if not column.wraps:
        return column.longest
    return min(max(column.longest_word, MIN_WRAP_EMS), column.longest)


def _widths(columns: Sequence[Column], size_pt: float, room: float) -> tuple[float, ...]:
    """Widths (points) of ``columns`` side by side in ``room`` points of text width.

    Each gets its least width; what is left goes to the wrapping columns, in
    proportion to what they lack of their natural width, never beyond it.
    """
    least = [_least(c) * size_pt for c in columns]
    lacking = [c.longest * size_pt - low for c, low in zip(columns, least, strict=True)]
    spare = max(room - sum(least), 0.0)
    share = 1.0 if sum(lacking) <= spare else spare / sum(lacking)
    return tuple(low + gap * share for low, gap in zip(least, lacking, strict=True))


def _split(
    columns: Sequence[Column], labels: int, size_pt: float, natural: bool, available: float
) -> list[list[int]] | None:
    """Columns in parts that each fit ``available`` points, or ``None`` if one column cannot.

    The first ``labels`` columns start every part; the others fill the parts
    in order, each part as many as fit.
    """
    per_column = 2 * _tabcolsep(size_pt, natural) + RULE

    def need(indexes: list[int]) -> float:
        return sum(_least(columns[i]) * size_pt + per_column for i in indexes) + RULE

    label_columns = list(range(min(labels, len(columns) - 1)))
    parts: list[list[int]] = []
    current = list(label_columns)
    for index in range(len(label_columns), len(columns)):
        if need([*current, index]) <= available:
            current.append(index)
        elif len(current) > len(label_columns):
            parts.append(current)
            current = [*label_columns, index]
            if need(current) > available:
                return None
        else:
            return None
    parts.append(current)
    return parts


def choose_layout(
    columns: Sequence[Column],
    *,
    labels: int = 1,
    base_pt: float = 10.0,
    font_size: str | None = None,
    landscape: bool | None = None,
    proportions: Sequence[int] | None = None,
    sized_by_latex: bool = True,
) -> Layout:
    """The layout of a table whose columns are ``columns`` (see the module docstring).

    ``sized_by_latex``: whether LaTeX sizes the columns itself when they fit
    (``tabulary`` does; a ``longtable`` needs its widths given).

    ``labels``: how many leading columns label the rows (the stub columns),
    repeated in each part if the table must be split. ``base_pt`` is the
    document's type size (LaTeX's ``pointsize``); ``font_size`` (a key of
    :data:`FONT_SIZES`) and ``landscape``, when not ``None``, are the
    author's choice and are kept even if the table does not fit; the other is
    then chosen as the rule says. ``proportions`` are the author's
    ``:widths:``: the columns keep them (no parts) and only the font size and
    the page are chosen, so that each column's share holds its content.
    """
    scale = base_pt / 10.0
    sizes = (font_size,) if font_size is not None else AUTO_SIZES
    orientations = (landscape,) if landscape is not None else (False, True)
    candidates = [(turned, name) for turned in orientations for name in sizes]
    natural_case = proportions is None and sized_by_latex
    if natural_case and font_size in (None, "normalsize") and not landscape:
        chrome = len(columns) * (2 * NATURAL_TABCOLSEP + RULE) + RULE
        if sum(c.longest for c in columns) * base_pt + chrome <= PORTRAIT_WIDTH:
            return Layout("normalsize", False, (), None, True)
    if proportions is not None:
        for turned, name in candidates:
            size_pt = FONT_SIZES[name] * scale
            if _shares_hold(columns, proportions, size_pt, name == "normalsize", turned):
                return _layout(name, turned, (), size_pt, fits=True)
        name, turned = sizes[-1], orientations[-1]
        return _layout(name, turned, (), FONT_SIZES[name] * scale, fits=False)
    # The fewest parts wins; among as many parts, the order of the candidates.
    best: tuple[int, int, list[list[int]]] | None = None
    for order, (turned, name) in enumerate(candidates):
        size_pt = FONT_SIZES[name] * scale
        available = LANDSCAPE_WIDTH if turned else PORTRAIT_WIDTH
        split = _split(columns, labels, size_pt, name == "normalsize", available)
        if split is not None and (best is None or len(split) < best[0]):
            best = (len(split), order, split)
            if len(split) == 1:
                break
    if best is None:
        # Not even one column besides the labels fits: the last candidate,
        # each column as narrow as it can be, all in one part.
        turned, name = candidates[-1]
        size_pt = FONT_SIZES[name] * scale
        part = Part(tuple(range(len(columns))), tuple(_least(c) * size_pt for c in columns))
        return _layout(name, turned, (part,), size_pt, fits=False)
    turned, name = candidates[best[1]]
    size_pt = FONT_SIZES[name] * scale
    natural = name == "normalsize"
    available = LANDSCAPE_WIDTH if turned else PORTRAIT_WIDTH
    parts = []
    for indexes in best[2]:
        room = available - len(indexes) * (2 * _tabcolsep(size_pt, natural) + RULE) - RULE
        widths = _widths([columns[i] for i in indexes], size_pt, room)
        parts.append(Part(tuple(indexes), widths))
    return _layout(name, turned, tuple(parts), size_pt, fits=True)


def _layout(
    name: str, landscape: bool, parts: tuple[Part, ...], size_pt: float, *, fits: bool
) -> Layout:
    natural = name == "normalsize"
    return Layout(name, landscape, parts, None if natural else _tabcolsep(size_pt, natural), fits)


def _shares_hold(
    columns: Sequence[Column],
    proportions: Sequence[int],
    size_pt: float,
    natural: bool,
    landscape: bool,
) -> bool:
    """Whether each column's share of the line (as Sphinx divides it) holds its content."""
    available = LANDSCAPE_WIDTH if landscape else PORTRAIT_WIDTH
    sep = _tabcolsep(size_pt, natural)
    total = sum(proportions)
    return all(
        available * share / total - 2 * sep - RULE >= _least(column) * size_pt
        for column, share in zip(columns, proportions, strict=True)
    )
