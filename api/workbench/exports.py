"""Exports into a case file: any table as CSV (UTF-8 with a byte-order mark,
so Excel reads Chinese) or Excel, and a matter's trace, a failure's
accountability or a cadre record as a PDF: the chain drawn as layered boxes,
the findings with their citations and the articles' text, the as-of date and
rule sets, the time of export and who exported it. Chinese is set in
reportlab's built-in CID font STSong-Light (Adobe's Asian font pack, which PDF
readers carry), so no font file ships."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from zeren.api.security import Principal

from .chain import LAYER, OTHER_LAYER, Graph
from .views import Table, text_of

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"


def to_csv(t: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(t.columns)
    for row in t.rows:
        w.writerow([text_of(c) for c in row])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def to_xlsx(t: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = t.name[:31]
    ws.append([t.title])
    ws["A1"].font = Font(bold=True)
    ws.append(t.columns)
    for c in ws[2]:
        c.font = Font(bold=True)
    for row in t.rows:
        ws.append([text_of(c) for c in row])
    for col in ws.columns:
        width = max((len(str(c.value or "")) for c in col[1:]), default=8)
        ws.column_dimensions[col[0].column_letter].width = min(max(width * 1.6, 8), 60)
        for c in col[2:]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FONT = "STSong-Light"


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    return {"base": base,
            "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10),
            "h1": ParagraphStyle("h1", parent=base, fontSize=16, leading=20, spaceAfter=6),
            "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
            "quote": ParagraphStyle("quote", parent=base, fontSize=8, leading=11, leftIndent=12,
                                    textColor="#333333")}


def _p(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph
    from xml.sax.saxutils import escape

    return Paragraph(escape(text).replace("\n", "<br/>"), style)


COLOURS = {"PetitionMatter": "#f6d8ae", "Failure": "#f4b6b6", "Territory": "#d5e8d4", "HandlingStep": "#e1d5e7",
           "Decision": "#e1d5e7", "Institution": "#dae8fc", "LeadershipTeam": "#cce5ff", "Post": "#fff2cc",
           "Person": "#ffe6cc", "Division": "#eeeeee"}


def chain_drawing(g: Graph, width: float) -> Any:
    """The chain as layered boxes (the same layers and order as the page's graph)."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors

    layers: dict[int, list[dict[str, Any]]] = {}
    for n in g.nodes.values():
        layers.setdefault(LAYER.get(n["label"], OTHER_LAYER), []).append(n)
    order = sorted(layers)
    box_h, gap_y = 26.0, 22.0
    height = len(order) * (box_h + gap_y)
    d = Drawing(width, height)
    pos: dict[str, tuple[float, float, float]] = {}
    for row, layer in enumerate(order):
        nodes = sorted(layers[layer], key=lambda n: n["x"])
        box_w = min(120.0, (width - 4) / len(nodes) - 4)
        y = height - (row + 1) * (box_h + gap_y) + gap_y / 2
        for i, n in enumerate(nodes):
            x = 2 + i * (box_w + 4) + (width - 4 - len(nodes) * (box_w + 4)) / 2
            pos[n["id"]] = (x + box_w / 2, y, y + box_h)
            d.add(Rect(x, y, box_w, box_h, fillColor=colors.HexColor(COLOURS.get(n["label"], "#ffffff")),
                       strokeColor=colors.HexColor("#555555"), strokeWidth=0.5, rx=3, ry=3))
            chars = max(int(box_w / 6.5), 3)
            d.add(String(x + 3, y + box_h - 9, n["kind"], fontName=FONT, fontSize=6, fillColor=colors.grey))
            name = n["name"] if len(n["name"]) <= chars else n["name"][:chars - 1] + "…"
            d.add(String(x + 3, y + 5, name, fontName=FONT, fontSize=7.5))
    for e in g.edges.values():
        if e["source"] in pos and e["target"] in pos:
            (sx, sy0, sy1), (tx, ty0, ty1) = pos[e["source"]], pos[e["target"]]
            if sy0 > ty0:
                d.add(Line(sx, sy0, tx, ty1, strokeColor=colors.HexColor("#777777"), strokeWidth=0.6))
            elif sy0 < ty0:
                d.add(Line(sx, sy1, tx, ty0, strokeColor=colors.HexColor("#777777"), strokeWidth=0.6))
            else:  # same layer (a vertical management line between organs)
                d.add(Line(sx, sy0, tx, ty0, strokeColor=colors.HexColor("#aa5500"), strokeWidth=0.6,
                           strokeDashArray=[2, 2]))
    return d


def to_pdf(title: str, principal: Principal, facts: Sequence[tuple[str, str]], graph: Graph | None,
           tables: Sequence[Table], notes: Sequence[str] = ()) -> bytes:
    """A case-file PDF: title, who exported it and when, the facts (as-of date,
    rule sets ...), the chain, each table with every citation's article text."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, SimpleDocTemplate, Spacer, TableStyle

    s = _styles()
    buf = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buf, pagesize=page, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=title, author=f"{principal.name} ({principal.role})",
                            creator="zeren 责任")
    width = page[0] - 24 * mm
    now = dt.datetime.now(dt.timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    story: list[Any] = [_p(title, s["h1"]),
                        _p(f"导出时间 Exported at: {now}　导出人 Exported by: {principal.name} ({principal.role})",
                           s["small"])]
    for k, v in facts:
        story.append(_p(f"{k}: {v}", s["base"]))
    for n in notes:
        story.append(_p(n, s["small"]))
    if graph is not None and graph.nodes:
        story += [_p("责任链 Chain", s["h2"]), chain_drawing(graph, width)]
    cited: dict[str, str] = {}
    for t in tables:
        story.append(_p(t.title, s["h2"]))
        if not t.rows:
            story.append(_p("无 none", s["small"]))
            continue
        data = [[_p(c, s["small"]) for c in t.columns]]
        for row in t.rows:
            cells = []
            for c in row:
                if isinstance(c, dict) and c.get("cite"):
                    cited.setdefault(c["text"], c["cite"])
                cells.append(_p(c["text"] if isinstance(c, dict) else c, s["small"]))
            data.append(cells)
        lt = LongTable(data, colWidths=[width / len(t.columns)] * len(t.columns), repeatRows=1)
        lt.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf3")),
                                ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(lt)
    if cited:
        story.append(_p("引用条文 Provisions cited, with their text", s["h2"]))
        for label, text in cited.items():
            story += [_p(label, s["base"]), _p(text, s["quote"]), Spacer(1, 4)]
    doc.build(story)
    return buf.getvalue()
