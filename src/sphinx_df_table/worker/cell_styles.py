"""A Styler's per-cell CSS, reduced to the few declarations every builder can show.

pandas' ``Styler`` keeps what ``highlight_max``, ``background_gradient``,
``bar``, ``set_properties``, ``map`` and ``apply`` computed as a list of
``(property, value)`` pairs per cell (its ``ctx``). This module turns each
cell's list into one declaration text of the grammar that
:data:`sphinx_df_table.messages.CELL_STYLE` checks: colours become
``#rrggbb`` (named colours, ``#rgb``, ``rgb()``/``rgba()``; a translucent
colour is blended over white, so that it looks the same on every page and in
LaTeX), and properties outside that grammar (``width``, borders, fonts) are
left out. A Styler's colours are chosen for the white page pandas draws
them on, so each styled cell carries that page with it and reads well in
light and dark themes alike: a background without a text colour (or with one
that does not read on it) gets black or white text, whichever contrasts
more; a text colour without a background gets a white one; and a ``bar`` is
drawn on white, with text that reads on the bar and on white.

It runs in the snippet worker; the Sphinx process only sees the texts.
"""

from __future__ import annotations

import re
from typing import Any

#: CSS's named colours (CSS Color Module Level 4), as ``name=rrggbb`` words.
_NAMED = (
    "aliceblue=f0f8ff antiquewhite=faebd7 aqua=00ffff aquamarine=7fffd4 azure=f0ffff "
    "beige=f5f5dc bisque=ffe4c4 black=000000 blanchedalmond=ffebcd blue=0000ff "
    "blueviolet=8a2be2 brown=a52a2a burlywood=deb887 cadetblue=5f9ea0 "
    "chartreuse=7fff00 chocolate=d2691e coral=ff7f50 cornflowerblue=6495ed "
    "cornsilk=fff8dc crimson=dc143c cyan=00ffff darkblue=00008b darkcyan=008b8b "
    "darkgoldenrod=b8860b darkgray=a9a9a9 darkgreen=006400 darkgrey=a9a9a9 "
    "darkkhaki=bdb76b darkmagenta=8b008b darkolivegreen=556b2f darkorange=ff8c00 "
    "darkorchid=9932cc darkred=8b0000 darksalmon=e9967a darkseagreen=8fbc8f "
    "darkslateblue=483d8b darkslategray=2f4f4f darkslategrey=2f4f4f "
    "darkturquoise=00ced1 darkviolet=9400d3 deeppink=ff1493 deepskyblue=00bfff "
    "dimgray=696969 dimgrey=696969 dodgerblue=1e90ff firebrick=b22222 "
    "floralwhite=fffaf0 forestgreen=228b22 fuchsia=ff00ff gainsboro=dcdcdc "
    "ghostwhite=f8f8ff gold=ffd700 goldenrod=daa520 gray=808080 green=008000 "
    "greenyellow=adff2f grey=808080 honeydew=f0fff0 hotpink=ff69b4 indianred=cd5c5c "
    "indigo=4b0082 ivory=fffff0 khaki=f0e68c lavender=e6e6fa lavenderblush=fff0f5 "
    "lawngreen=7cfc00 lemonchiffon=fffacd lightblue=add8e6 lightcoral=f08080 "
    "lightcyan=e0ffff lightgoldenrodyellow=fafad2 lightgray=d3d3d3 lightgreen=90ee90 "
    "lightgrey=d3d3d3 lightpink=ffb6c1 lightsalmon=ffa07a lightseagreen=20b2aa "
    "lightskyblue=87cefa lightslategray=778899 lightslategrey=778899 "
    "lightsteelblue=b0c4de lightyellow=ffffe0 lime=00ff00 limegreen=32cd32 "
    "linen=faf0e6 magenta=ff00ff maroon=800000 mediumaquamarine=66cdaa "
    "mediumblue=0000cd mediumorchid=ba55d3 mediumpurple=9370db mediumseagreen=3cb371 "
    "mediumslateblue=7b68ee mediumspringgreen=00fa9a mediumturquoise=48d1cc "
    "mediumvioletred=c71585 midnightblue=191970 mintcream=f5fffa mistyrose=ffe4e1 "
    "moccasin=ffe4b5 navajowhite=ffdead navy=000080 oldlace=fdf5e6 olive=808000 "
    "olivedrab=6b8e23 orange=ffa500 orangered=ff4500 orchid=da70d6 "
    "palegoldenrod=eee8aa palegreen=98fb98 paleturquoise=afeeee palevioletred=db7093 "
    "papayawhip=ffefd5 peachpuff=ffdab9 peru=cd853f pink=ffc0cb plum=dda0dd "
    "powderblue=b0e0e6 purple=800080 rebeccapurple=663399 red=ff0000 rosybrown=bc8f8f "
    "royalblue=4169e1 saddlebrown=8b4513 salmon=fa8072 sandybrown=f4a460 "
    "seagreen=2e8b57 seashell=fff5ee sienna=a0522d silver=c0c0c0 skyblue=87ceeb "
    "slateblue=6a5acd slategray=708090 slategrey=708090 snow=fffafa springgreen=00ff7f "
    "steelblue=4682b4 tan=d2b48c teal=008080 thistle=d8bfd8 tomato=ff6347 "
    "turquoise=40e0d0 violet=ee82ee wheat=f5deb3 white=ffffff whitesmoke=f5f5f5 "
    "yellow=ffff00 yellowgreen=9acd32 "
)
#: CSS's named colours, name -> ``rrggbb``.
NAMED_COLOURS = dict(pair.split("=") for pair in _NAMED.split())

_HEX = re.compile(r"#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_FUNCTION = re.compile(r"rgba?\(\s*([^)]*)\)")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(%?)")
#: One stop of a bar's gradient: a colour (or ``transparent``) and a percentage.
_STOP = re.compile(r"\s*(#[0-9a-fA-F]{3,8}|rgba?\([^)]*\)|[a-zA-Z]+)\s+([-+]?\d+(?:\.\d+)?)%\s*")
_GRADIENT = re.compile(r"linear-gradient\(\s*90deg\s*,(.*)\)")

RGB = tuple[float, float, float]


def parse_colour(text: str) -> tuple[RGB, float] | None:
    """A CSS colour as ``((red, green, blue), alpha)``, channels 0-255, alpha 0-1.

    Reads ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, ``rgb()``/``rgba()``
    (numbers or percentages, commas or spaces, ``/ alpha``), the named colours
    and ``transparent``; ``None`` for anything else (``hsl()``, ``var()``...).
    """
    text = text.strip().lower()
    if text == "transparent":
        return (0.0, 0.0, 0.0), 0.0
    if text in NAMED_COLOURS:
        text = "#" + NAMED_COLOURS[text]
    if _HEX.fullmatch(text):
        digits = text[1:]
        if len(digits) <= 4:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
        alpha = channels[3] / 255 if len(channels) == 4 else 1.0
        return (float(channels[0]), float(channels[1]), float(channels[2])), alpha
    function = _FUNCTION.fullmatch(text)
    if function is None:
        return None
    parts = re.split(r"\s*[,/]\s*|\s+", function.group(1).strip())
    numbers = [_NUMBER.fullmatch(part) for part in parts]
    if len(numbers) not in (3, 4) or not all(numbers):
        return None
    values = [float(part.rstrip("%")) for part in parts]
    rgb = [
        v * 255 / 100 if match is not None and match.group(1) else v
        for v, match in zip(values[:3], numbers, strict=False)
    ]
    alpha = 1.0
    if len(values) == 4:
        last = numbers[3]
        alpha = values[3] / 100 if last is not None and last.group(1) else values[3]
    red, green, blue = (min(max(v, 0.0), 255.0) for v in rgb)
    return (red, green, blue), min(max(alpha, 0.0), 1.0)


def opaque_hex(colour: tuple[RGB, float]) -> str:
    """``#rrggbb`` of a colour blended over white by its alpha."""
    rgb, alpha = colour
    blended = (round(255 + (channel - 255) * alpha) for channel in rgb)
    return "#" + "".join(f"{channel:02x}" for channel in blended)


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio (1 to 21) of two ``#rrggbb`` colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrasting_text(background: str, *more: str) -> str:
    """Black or white (``#rrggbb``), whichever contrasts more with ``background``
    (with the least contrasting of ``background`` and ``more``: text over a bar
    lies over several colours)."""
    behind = (background, *more)
    black = min(contrast_ratio("#000000", colour) for colour in behind)
    white = min(contrast_ratio("#ffffff", colour) for colour in behind)
    return "#000000" if black > white else "#ffffff"


#: The WCAG contrast ratio (AA, normal text) a cell's text colour needs on
#: its background, else it is replaced by black or white.
READABLE = 4.5


def _gradient(value: str) -> str | None:
    """A ``bar``'s ``linear-gradient(90deg, ...)`` with its colours made ``#rrggbb``."""
    match = _GRADIENT.fullmatch(value.strip().lower())
    if match is None:
        return None
    stops = []
    for stop in match.group(1).split("%,"):
        parsed = _STOP.fullmatch(stop.rstrip("%") + "%")
        colour = parse_colour(parsed.group(1)) if parsed else None
        if parsed is None or colour is None:
            return None
        position = min(max(float(parsed.group(2)), 0.0), 100.0)
        # Over white, as translucent colours are: ``transparent`` becomes
        # white, so that a dark theme's page does not show around the bar.
        stops.append(f"{opaque_hex(colour)} {position:.1f}%")
    return f"linear-gradient(90deg, {', '.join(stops)})"


def normalise(declarations: list[tuple[str, str]]) -> str:
    """One cell's Styler CSS as a declaration text of the shared grammar ("" if none).

    Later declarations win, as in CSS (``background`` replaces an earlier
    ``background-color``); unknown properties and unreadable values are left
    out. Then each cell gets what it needs to read well on any page (see the
    module's description): a background colour without a text colour, or
    with one not readable on it (below :data:`READABLE`, such as
    ``background_gradient``'s light grey on mid blues, or on a later
    ``highlight_max``'s yellow), gets black or white text (see
    :func:`contrasting_text`); a text colour without a background gets white
    (pandas' page); a bar, drawn on white, gets text that reads on its
    colours and on white.
    """
    shown: dict[str, str] = {}
    for raw_property, raw_value in declarations:
        name = str(raw_property).strip().lower()
        value = str(raw_value).replace("!important", "").strip().lower()
        if name in ("background-color", "background", "color"):
            colour = parse_colour(value)
            if name == "background":
                shown.pop("background-color", None)
                shown.pop("background", None)
                gradient = _gradient(value)
                if gradient is not None:
                    shown["background"] = gradient
                    continue
            if name != "color":
                shown.pop("background", None)
            if colour is None or colour[1] == 0:
                shown.pop("color" if name == "color" else "background-color", None)
            else:
                shown["color" if name == "color" else "background-color"] = opaque_hex(colour)
        elif name == "font-weight":
            bold = value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600)
            _set(shown, "font-weight", "bold" if bold else None)
        elif name == "font-style":
            _set(shown, "font-style", "italic" if value in ("italic", "oblique") else None)
        elif name in ("text-decoration", "text-decoration-line"):
            line = next((w for w in value.split() if w in ("underline", "line-through")), None)
            _set(shown, "text-decoration", line)
    _readable(shown)
    return "; ".join(f"{name}: {shown[name]}" for name in _ORDER if name in shown)


#: The order of declarations in a normalised text (the grammar's).
_ORDER = ("background-color", "background", "color", "font-weight", "font-style", "text-decoration")


def _readable(shown: dict[str, str]) -> None:
    """Complete a cell's colours in ``shown`` so that its text reads on them
    (see :func:`normalise`)."""
    if "background" in shown:  # a bar: text over its colours and over white
        behind = re.findall(r"#[0-9a-f]{6}", shown["background"])
    elif "background-color" in shown:
        behind = [shown["background-color"]]
    elif "color" in shown:
        shown["background-color"] = "#ffffff"
        return
    else:
        return
    text = shown.get("color")
    if text is None or min(contrast_ratio(text, colour) for colour in behind) < READABLE:
        shown["color"] = contrasting_text(*behind)


def _set(shown: dict[str, str], name: str, value: str | None) -> None:
    if value is None:
        shown.pop(name, None)
    else:
        shown[name] = value


def styler_css(styler: Any, rows: list[int], columns: list[int]) -> dict[tuple[int, int], str]:
    """The normalised CSS of a Styler's shown data cells, by shown (row, column).

    ``rows`` and ``columns`` are the positions in ``styler.data`` that the
    table shows, in order. Runs the Styler's styling functions (its private
    ``_compute``, the step ``Styler.to_html`` takes first, unchanged since
    pandas 1.3); cells without CSS are left out.
    """
    styler._compute()
    context = styler.ctx
    found: dict[tuple[int, int], str] = {}
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            declarations = context.get((row, column))
            if declarations and (text := normalise(declarations)):
                found[i, j] = text
    return found
