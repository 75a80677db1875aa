"""The letters' and the appeal pack's PDFs are tagged: structure, language and title."""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.pdf import Pdf
from tests.integration.test_community_trigger_journey import Journey
from tests.unit.test_documents import docs, to_appeal_papers


def _structure(reader: PdfReader) -> list[tuple[str, Any]]:
    """(type, element) of every structure element, depth first."""
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    found: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not isinstance(node, DictionaryObject):
            return  # an MCID
        if "/S" in node:
            found.append((str(node["/S"]), node))
        kids = node.get("/K")
        if kids is None:
            return
        for kid in kids if isinstance(kids, list) else [kids]:
            walk(kid)

    walk(root)
    return found


def check_tagged(content: bytes, title: str) -> Counter[str]:
    reader = PdfReader(io.BytesIO(content))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "en-GB"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert title in (reader.metadata.title or "")
    elements = _structure(reader)
    kinds = Counter(kind for kind, _ in elements)
    assert kinds["/Document"] == 1
    # Every marked sequence in the pages has its structure element, and the other way.
    marked = 0
    for number, page in enumerate(reader.pages):
        assert "/StructParents" in page, f"page {number + 1}"
        stream = page.get_contents().get_data().decode("latin-1")
        mcids = [int(m) for m in re.findall(r"<</MCID (\d+)>> BDC", stream)]
        assert mcids == list(range(len(mcids))), "MCIDs number each page's content in order"
        assert stream.count("BDC") + stream.count("BMC") == stream.count("EMC")
        marked += len(mcids)
    assert marked == sum(n for kind, n in kinds.items() if kind not in ("/Document", "/L"))
    # List items sit inside lists, with their page.
    for kind, element in elements:
        if kind == "/LI":
            assert element["/P"].get_object()["/S"] == "/L"
            assert "/Pg" in element
    return kinds


def test_the_response_letter_pdf_is_tagged_with_headings_paragraphs_and_lists(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    letter_pdf = next(d for d in docs(j) if d.filename.endswith("response-letter.pdf"))
    kinds = check_tagged(letter_pdf.content, "Response letter")
    assert kinds["/H1"] == 1 and kinds["/H2"] >= 5
    assert kinds["/P"] >= 10 and kinds["/L"] >= 2 and kinds["/LI"] >= 4


def test_the_appeal_pack_pdf_is_tagged_across_its_pages(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    pack = next(d for d in docs(j) if d.kind == "appeal_pack")
    kinds = check_tagged(pack.content, "Appeal pack")
    assert len(PdfReader(io.BytesIO(pack.content)).pages) >= 2
    assert kinds["/H1"] == 1 and kinds["/H2"] == 7 and kinds["/H3"] >= 3
    assert kinds["/LI"] >= 5


def test_a_paragraph_running_over_a_page_is_tagged_on_each_page() -> None:
    pdf = Pdf("CT-2026-000001", "Long letter")
    pdf.heading("A long letter", 1)
    pdf.paragraph(" ".join(["This sentence is here to fill the page."] * 400))
    for n in range(40):
        pdf.bullet(f"Item {n}")
    content = pdf.finish()
    kinds = check_tagged(content, "Long letter")
    pages = len(PdfReader(io.BytesIO(content)).pages)
    assert pages >= 3
    assert kinds["/P"] >= 2 and kinds["/LI"] == 40
    assert kinds["/L"] >= 1
