"""A small picture of a Discord message as a member sees it, from the message's JSON payload.

For the screen gallery (`scripts/gallery.py`): not Discord's renderer, an approximation of its
dark theme good enough to judge a layout: message text, embeds (colour bar, title, description,
fields, inline fields side by side, image, footer), buttons and select menus, with Discord's
markdown reduced to what PaperScout sends (bold, underline, links, subtext, escapes,
timestamps, channel mentions). `render(message, width)` draws one message at a screen width
(390 pixels: a phone; 800: a desktop window) and returns the picture; its height is what a
member scrolls.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
BACKGROUND = (49, 51, 56)
EMBED_BACKGROUND = (43, 45, 49)
TEXT = (219, 222, 225)
MUTED = (148, 155, 164)
LINK = (0, 168, 252)
BUTTON = (78, 80, 88)
PRIMARY = (88, 101, 242)
FONT_SIZE = 15
SMALL = 12
PAD = 12
EMBED_PAD = 12
BAR = 4
LINE_GAP = 5


@dataclass(frozen=True)
class Run:
    """A piece of text in one style."""

    text: str
    bold: bool = False
    link: bool = False
    small: bool = False
    muted: bool = False


def _font(bold: bool = False, size: int = FONT_SIZE) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _timestamp(match: re.Match[str]) -> str:
    moment = datetime.fromtimestamp(int(match[1]), tz=UTC)
    return f"{moment:%d %b %Y %H:%M}"


def _plain_markup(text: str) -> str:
    text = re.sub(r"<t:(\d+)(?::\w)?>", _timestamp, text)
    return re.sub(r"<#(\d+)>", "#general", text)


def parse_line(line: str) -> list[Run]:
    """One line of Discord markdown as styled runs (what PaperScout sends)."""
    small = line.startswith("-# ")
    if small:
        line = line[3:]
    line = _plain_markup(line)
    runs: list[Run] = []
    bold = False
    index = 0
    buffer = ""

    def flush() -> None:
        nonlocal buffer
        if buffer:
            runs.append(Run(buffer, bold=bold, small=small, muted=small))
            buffer = ""

    while index < len(line):
        if line.startswith("\\", index) and index + 1 < len(line):
            buffer += line[index + 1]
            index += 2
        elif line.startswith("**", index):
            flush()
            bold = not bold
            index += 2
        elif line.startswith("__", index):
            index += 2  # underline: not drawn
        elif line[index] == "[" and (link := re.match(r"\[(.+?)\]\((\S+?)\)", line[index:])):
            flush()
            runs.append(Run(link[1].replace("\\", ""), bold=bold, link=True, small=small))
            index += link.end()
        else:
            buffer += line[index]
            index += 1
    flush()
    return runs


def _wrap(runs: list[Run], width: int) -> list[list[Run]]:
    """Runs broken into lines of at most `width` pixels, at spaces."""
    lines: list[list[Run]] = [[]]
    used = 0.0
    for run in runs:
        font = _font(run.bold, SMALL if run.small else FONT_SIZE)
        for word in re.split(r"(\s+)", run.text):
            if not word:
                continue
            size = font.getlength(word)
            if used + size > width and lines[-1] and not word.isspace():
                lines.append([])
                used = 0.0
            if word.isspace() and not lines[-1]:
                continue
            lines[-1].append(Run(word, run.bold, run.link, run.small, run.muted))
            used += size
    return lines


def _text_block(text: str, width: int) -> list[list[Run]]:
    lines: list[list[Run]] = []
    for raw in text.split("\n"):
        lines += _wrap(parse_line(raw), width) if raw.strip() else [[]]
    return lines


def _height(lines: list[list[Run]]) -> int:
    total = 0
    for line in lines:
        size = SMALL if line and all(r.small for r in line) else FONT_SIZE
        total += size + LINE_GAP
    return total


def _draw_lines(draw: ImageDraw.ImageDraw, lines: list[list[Run]], x: int, y: int) -> int:
    for line in lines:
        size = SMALL if line and all(r.small for r in line) else FONT_SIZE
        cursor = float(x)
        for run in line:
            font = _font(run.bold, SMALL if run.small else FONT_SIZE)
            colour = LINK if run.link else MUTED if run.muted else TEXT
            draw.text((cursor, y), run.text, font=font, fill=colour)
            cursor += font.getlength(run.text)
        y += size + LINE_GAP
    return y


class Canvas:
    """Draws top to bottom on a tall canvas, cropped to what was used."""

    def __init__(self, width: int, background: tuple[int, int, int] = BACKGROUND) -> None:
        self.width = width
        self.image = Image.new("RGB", (width, 20000), background)
        self.draw = ImageDraw.Draw(self.image)
        self.y = PAD

    def text(self, text: str, x: int, width: int) -> None:
        self.y = _draw_lines(self.draw, _text_block(text, width), x, self.y)

    def done(self) -> Image.Image:
        return self.image.crop((0, 0, self.width, self.y + PAD))


def _embed(
    canvas: Canvas, embed: dict[str, Any], x: int, width: int, images: dict[str, bytes]
) -> None:
    inner = width - BAR - 2 * EMBED_PAD
    top = canvas.y
    scratch = Canvas(width, EMBED_BACKGROUND)
    scratch.y = EMBED_PAD
    left = BAR + EMBED_PAD
    if embed.get("title"):
        title = f"**[{embed['title']}](x)**" if embed.get("url") else f"**{embed['title']}**"
        scratch.text(title, left, inner)
        scratch.y += 4
    if embed.get("description"):
        scratch.text(embed["description"], left, inner)
        scratch.y += 4
    fields = embed.get("fields") or []
    per_row = 3 if width > 500 else 2
    row: list[dict[str, Any]] = []
    for field in [*fields, None]:
        if field is not None and field.get("inline") and len(row) < per_row:
            row.append(field)
            continue
        if row:
            column = inner // len(row)
            bottom = scratch.y
            for index, cell in enumerate(row):
                start = scratch.y
                scratch.text(f"**{cell['name']}**", left + index * column, column - 8)
                scratch.text(cell["value"], left + index * column, column - 8)
                bottom = max(bottom, scratch.y)
                scratch.y = start
            scratch.y = bottom + 4
            row = []
        if field is None:
            break
        if field.get("inline"):
            row.append(field)
            continue
        scratch.text(f"**{field['name']}**", left, inner)
        scratch.text(field["value"], left, inner)
        scratch.y += 4
    image_url = (embed.get("image") or {}).get("url", "")
    if image_url.startswith("attachment://") and image_url[13:] in images:
        chart = Image.open(io.BytesIO(images[image_url[13:]])).convert("RGBA")
        shown = min(inner, 400)
        chart = chart.resize((shown, round(chart.height * shown / chart.width)))
        scratch.image.paste(chart, (left, scratch.y), chart)
        scratch.y += chart.height + 6
    if (embed.get("footer") or {}).get("text"):
        scratch.text(f"-# {embed['footer']['text']}", left, inner)
    height = scratch.y + EMBED_PAD - 6
    canvas.image.paste(scratch.image.crop((0, 0, width, height)), (x, top))
    colour = embed.get("color")
    bar = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255) if colour else (30, 31, 34)
    canvas.image.paste(bar, (x, top, x + BAR, top + height))
    canvas.y = top + height + 6


def _components(canvas: Canvas, message: dict[str, Any], x: int, width: int) -> None:
    font = _font(False, 14)
    for row in message.get("components") or []:
        cursor = x
        for item in row.get("components", []):
            if item.get("type") == 3:  # a select menu
                label = item.get("placeholder") or "Choose"
                canvas.draw.rounded_rectangle(
                    (x, canvas.y, x + min(width, 400), canvas.y + 36), radius=4, fill=(30, 31, 34)
                )
                canvas.draw.text((x + 10, canvas.y + 9), label + "  ▾", font=font, fill=MUTED)
                canvas.y += 42
                continue
            label = item.get("label") or ""
            if item.get("url"):
                label += " ↗"
            size = int(font.getlength(label)) + 24
            if cursor + size > x + width:
                cursor = x
                canvas.y += 38
            fill = PRIMARY if item.get("style") == 1 else BUTTON
            canvas.draw.rounded_rectangle(
                (cursor, canvas.y, cursor + size, canvas.y + 32), radius=4, fill=fill
            )
            canvas.draw.text((cursor + 12, canvas.y + 7), label, font=font, fill=TEXT)
            cursor += size + 8
        if cursor != x:
            canvas.y += 38


def render(
    message: dict[str, Any], width: int, images: dict[str, bytes] | None = None
) -> Image.Image:
    """One message at a screen `width`: the avatar column, the name, the text, the embeds,
    the components. `images`: attachment bytes by file name (a chart)."""
    canvas = Canvas(width)
    avatar = 32 if width < 500 else 40
    x = PAD + avatar + PAD
    inner = width - x - PAD
    canvas.draw.ellipse((PAD, canvas.y, PAD + avatar, canvas.y + avatar), fill=PRIMARY)
    name = "PaperScout"
    canvas.draw.text((x, canvas.y), name, font=_font(True), fill=TEXT)
    tag = x + int(_font(True).getlength(name)) + 6
    canvas.draw.rounded_rectangle(
        (tag, canvas.y + 1, tag + 32, canvas.y + 17), radius=3, fill=PRIMARY
    )
    canvas.draw.text((tag + 4, canvas.y + 2), "APP", font=_font(True, 11), fill=TEXT)
    if message.get("flags", 0) & 64:
        canvas.draw.text(
            (tag + 40, canvas.y + 2), "Only you can see this", font=_font(False, 11), fill=MUTED
        )
    canvas.y += FONT_SIZE + LINE_GAP + 2
    if message.get("content"):
        canvas.text(message["content"], x, inner)
        canvas.y += 4
    for embed in message.get("embeds") or []:
        _embed(canvas, embed, x, min(inner, 520), images or {})
    _components(canvas, message, x, inner)
    return canvas.done()


def stack(pictures: list[Image.Image]) -> Image.Image:
    """Messages one under the other, as a channel shows them."""
    width = max(p.width for p in pictures)
    total = Image.new("RGB", (width, sum(p.height for p in pictures)), BACKGROUND)
    y = 0
    for picture in pictures:
        total.paste(picture, (0, y))
        y += picture.height
    return total
