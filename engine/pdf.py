"""Tagged A4 PDFs for letters and packs: headings, paragraphs and lists a screen reader can follow.

fpdf2 (pure Python) writes the pages. It tags only images, links and outline sections by
itself, so each block here is wrapped in marked content (`/H1 <</MCID n>> BDC ... EMC`) with
a structure element of its own under /Document: H1 to H3, P, and L holding LI. The catalog
then carries /MarkInfo, /StructTreeRoot and /Lang, and the viewer shows the title, which is
what a tagged PDF needs (PDF/UA's basics). A block never runs across a page inside one
marked sequence: a paragraph that breaks over a page becomes two P elements, one a page.
Page footers are marked as artifacts, so a screen reader skips them.

The built-in fonts cover Latin-1 only, and no pinned package ships a Unicode font, so text
outside Latin-1 is written with the nearest plain letter (ł -> l) or "?" and the PDF says
so; the case record and the HTML letter keep the exact text.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from fpdf import FPDF
from fpdf.prefs import ViewerPreferences
from fpdf.structure_tree import StructElem, StructureTreeBuilder

LANGUAGE = "en-GB"


class _Blocks(HTMLParser):
    """Reads the letter's HTML back as blocks: (h1 | h2 | p | li, text)."""

    BLOCKS = ("h1", "h2", "h3", "p", "li")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._tag: str | None = None
        self._text: list[str] = []
        self._lists: list[list[Any]] = []  # [tag, items so far]

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("ol", "ul"):
            self._lists.append([tag, 0])
        elif tag in self.BLOCKS:
            self._tag, self._text = tag, []
            if tag == "li" and self._lists:
                self._lists[-1][1] += 1
        elif tag == "br":
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul") and self._lists:
            self._lists.pop()
        elif tag == self._tag:
            text = re.sub(r"[ \t\r]*\n[ \t\r]*", "\n", "".join(self._text))
            text = re.sub(r"[ \t\r]+", " ", text).strip()
            if tag == "li" and self._lists and self._lists[-1][0] == "ol":
                tag, text = "ol", f"{self._lists[-1][1]}. {text}"
            self.blocks.append((tag, text))
            self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            self._text.append(re.sub(r"\s+", " ", data))  # only <br> breaks a line


def html_blocks(html: str) -> list[tuple[str, str]]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def blocks_text(blocks: list[tuple[str, str]]) -> str:
    """The blocks as plain text: one paragraph each, a bullet before unnumbered list items.

    This is the plain-text part of a letter's e-mail, so the words are exactly the letter's.
    """
    lines = [f"- {text}" if tag == "li" else text for tag, text in blocks]
    return "\n\n".join(lines) + "\n"


# Punctuation and letters outside Latin-1 with a usual plain spelling.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u20ac": "EUR",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)


def latin1(text: str) -> tuple[str, bool]:
    """`text` in what the PDF's built-in fonts can show, and whether anything was changed."""
    text = text.translate(_PLAIN)
    out, changed = [], False
    for ch in text:
        if ch == "\n" or (32 <= ord(ch) < 127) or (160 <= ord(ch) < 256):
            out.append(ch)
            continue
        if ch in "\t\r":
            out.append(" ")
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", ch)
            if (32 <= ord(c) < 127 or 160 <= ord(c) < 256) and not unicodedata.combining(c)
        )
        out.append(base or "?")
        changed = True
    return "".join(out), changed


class _Item(StructElem):
    """A list item, on its list's page: fpdf2 gives a page (/Pg) only to /Document's own
    children, as it writes the file, so an item reads its list's then."""

    __slots__ = ()

    @property  # type: ignore[override]
    def pg(self) -> Any:
        return self.p.pg

    @pg.setter
    def pg(self, value: Any) -> None:
        pass  # always the list's


class _Tree(StructureTreeBuilder):
    """fpdf2's structure tree with lists: an L per page under /Document, its LIs inside.

    fpdf2 writes out only /Document's own children; list items sit one level down, so they
    are written here (a list that runs on to the next page starts a new L there).
    """

    def __iter__(self) -> Any:
        yield from super().__iter__()
        for elem in self.doc_struct_elem.k:
            if elem.s == "/L":
                yield from elem.k


class _Sheet(FPDF):
    def __init__(self, reference: str, footer: str = "ASB Case Review") -> None:
        super().__init__(format="A4")
        self.reference, self.footer_label = reference, footer
        self.struct_builder = _Tree()

    def footer(self) -> None:
        # An artifact: page furniture, not part of the letter a screen reader reads out.
        self._out("/Artifact BMC")
        self.set_y(-14)
        self.set_font("helvetica", "", 8)
        self.cell(0, 6, f"{self.footer_label} {self.reference}, page {self.page_no()} of {{nb}}")
        self._out("EMC")


class Pdf:
    """A tagged A4 document: headings, paragraphs, bullets and label: value lines."""

    SIZES = {1: 17, 2: 14, 3: 12}

    def __init__(self, reference: str, title: str, *, footer: str = "ASB Case Review") -> None:
        self.reference, self.changed = reference, False
        self.pdf = _Sheet(reference, footer)
        self.pdf.set_margins(20, 20, 20)
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.set_title(f"{title} {reference}")
        self.pdf.set_lang(LANGUAGE)
        self.pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.pdf.set_author(footer)
        self.pdf.set_creator("ctengine")
        self.pdf.add_page()
        self._mcids: dict[int, int] = {}
        self._list: StructElem | None = None

    def _text(self, text: str) -> str:
        safe, changed = latin1(text)
        self.changed = self.changed or changed
        return safe

    def _tag(self, tag: str) -> int:
        """A structure element `tag` for content about to be written on this page: its MCID.

        fpdf2's own builder numbers MCIDs by counting /Document's children, which would go
        wrong once list items sit under an L, so the numbers per page are kept here.
        """
        pdf, page = self.pdf, self.pdf.page
        mcid = self._mcids.get(page, 0)
        self._mcids[page] = mcid + 1
        builder = pdf.struct_builder
        if tag != "LI":
            _, spid = builder.add_marked_content(page_number=page, struct_type=f"/{tag}", mcid=mcid)
            pdf.pages[page].struct_parents = spid
            return mcid
        if self._list is None or self._list.page_number() != page:
            self._list = StructElem("/L", builder.doc_struct_elem, [], page_number=page)
            builder.doc_struct_elem.k.append(self._list)
        # What add_marked_content does, with the item under its list rather than /Document.
        spids = builder.spid_per_page_number
        spid = spids.setdefault(page, len(spids))
        item = _Item("/LI", self._list, [mcid], page_number=page)
        self._list.k.append(item)
        builder.struct_tree_root.parent_tree.nums[spid].append(item)
        pdf.pages[page].struct_parents = spid
        return mcid

    def _write(
        self, text: str, size: float, style: str = "", indent: float = 0, tag: str = "P"
    ) -> None:
        pdf = self.pdf
        pdf.set_font("helvetica", style, size)
        width, height = pdf.epw - indent, size * 0.5
        lines = pdf.multi_cell(width, height, self._text(text), dry_run=True, output="LINES")
        while lines:
            room = int((pdf.page_break_trigger - pdf.y) // height)
            if room < 1:
                pdf.add_page()
                continue
            chunk, lines = lines[:room], lines[room:]
            mcid = self._tag(tag)
            pdf._out(f"/{tag} <</MCID {mcid}>> BDC")  # noqa: SLF001 (no public API for this)
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(width, height, "\n".join(chunk), new_x="LMARGIN", new_y="NEXT")
            pdf._out("EMC")  # noqa: SLF001

    def _end_list(self) -> None:
        self._list = None

    def letterhead(self, sender: str, recipient: tuple[str, ...]) -> None:
        """The sender's address top right, and the recipient's name and address where a
        window envelope shows it (GOV.UK Notify's address block for letters it prints:
        24.6 mm from the left edge, 50 mm from the top, 26.8 mm high)."""
        self._end_list()
        self._write(sender, 9.5, indent=95)
        bottom = self.pdf.y
        if recipient:
            self.pdf.set_y(50)
            self._write("\n".join(recipient[:7]), 10.5, indent=24.6 - self.pdf.l_margin)
            bottom = max(bottom, self.pdf.y, 80)
        self.pdf.set_y(bottom + 6)

    def heading(self, text: str, level: int) -> None:
        self._end_list()
        self.pdf.ln(3 if level > 1 else 0)
        self._write(text, self.SIZES.get(level, 12), "B", tag=f"H{min(level, 6)}")
        self.pdf.ln(1.5)

    def paragraph(self, text: str) -> None:
        self._end_list()
        self._write(text, 10.5)
        self.pdf.ln(2)

    def bullet(self, text: str, mark: str = "-") -> None:
        self._write(f"{mark} {text}", 10.5, indent=4, tag="LI")
        self.pdf.ln(1)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            if value:
                self.paragraph(f"{label}: {value}")
                self.pdf.ln(-1)

    def blocks(self, blocks: list[tuple[str, str]], top: int = 1) -> None:
        """Lay out HTML blocks; `top` is the heading level the HTML's h1 becomes."""
        for tag, text in blocks:
            if tag in ("h1", "h2", "h3"):
                self.heading(text, min(3, int(tag[1]) + top - 1))
            elif tag == "li":
                self.bullet(text)
            elif tag == "ol":
                self._write(text, 10.5, indent=4, tag="LI")
                self.pdf.ln(1)
            else:
                self.paragraph(text)

    def finish(self) -> bytes:
        if self.changed:
            self.paragraph(
                "Note: some characters in this document cannot be shown in this PDF and are "
                "written with the nearest plain letter or '?'. The case record keeps the exact "
                "text."
            )
        return bytes(self.pdf.output())
