"""Crate labels in TSPL, ZPL and ESC/POS from one layout: Chinese in each printer's own font and
encoding, GS1-128 with FNC1 where it belongs, scaled to the profile's stock, and a preview that a
scanner (zbar) reads back as `]C1(00)` + the SSCC and the QR's text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from barcode.codex import Code128
from barcode.writer import ImageWriter
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from drivers.cli import app
from drivers.devices.labels import Label, LabelStock, lay_out, preview_png, render
from drivers.devices.labels.layout import Barcode, Text, text_width
from drivers.errors import LabelError, ProfileError
from drivers.profiles import list_profiles, load_profile
from tests.fixtures.barcode_scan import scan_png

SSCC = "069012340000000016"
CRATE = Label(lines=("S001 徐汇001店", "ROUTE R01  STOP 03", "CRATE 1/3  CHILLED 冷藏", "2026-11-26"),
              sscc=SSCC, qr=f"(00){SSCC}")
PRINTERS = [n for n in list_profiles() if load_profile(n).kind == "printer"]


def stock_of(name: str) -> LabelStock:
    return load_profile(name).printer_spec().label


def test_every_language_and_at_least_two_models_of_the_tspl_and_zpl_kind_are_shipped() -> None:
    families = [load_profile(n).family for n in PRINTERS]
    assert families.count("tspl") >= 2 and families.count("zpl") >= 2 and "escpos" in families


@pytest.mark.parametrize("name", PRINTERS)
def test_preview_scans_to_the_sscc_as_gs1_128_and_to_the_qr_text(name: str) -> None:
    found = scan_png(preview_png(CRATE, stock_of(name)))
    assert found == {"CODE128": f"]C1(00){SSCC}", "QRCODE": f"(00){SSCC}"}


def test_a_code_128_without_fnc1_is_not_taken_for_gs1() -> None:
    """The control: the scan helper reports ]C1 only when the symbol really starts with FNC1."""
    buf = io.BytesIO()
    Code128("00" + SSCC, writer=ImageWriter()).write(buf, {"module_width": 0.5, "write_text": False})
    assert scan_png(buf.getvalue())["CODE128"] == "00" + SSCC


@pytest.mark.parametrize("name", PRINTERS)
def test_layout_stays_on_the_stock_and_nothing_overlaps(name: str) -> None:
    stock = stock_of(name)
    layout = lay_out(CRATE, stock)
    boxes = []
    for item in layout.items:
        if isinstance(item, Text):
            box = (item.x, item.y, item.x + text_width(item.text, item.size), item.y + item.size)
        elif isinstance(item, Barcode):
            box = (item.x, item.y, item.x + 156 * item.module, item.y + item.height)
        else:
            box = (item.x, item.y, item.x + item.cell * item.modules, item.y + item.cell * item.modules)
        assert 0 <= box[0] < box[2] <= layout.width and 0 <= box[1] < box[3] <= layout.height, (item, layout)
        boxes.append(box)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    assert layout.width == stock.width_dots
    if stock.height_dots is not None:
        assert layout.height == stock.height_dots


def test_the_layout_scales_with_stock_and_resolution() -> None:
    small = lay_out(CRATE, stock_of("gprinter-gp1324d-tspl"))  # 60 × 40 mm, 203 dpi
    large = lay_out(CRATE, stock_of("tsc-tspl-network"))  # 100 × 70 mm, 203 dpi
    fine = lay_out(CRATE, stock_of("zebra-zd888-cn-zpl"))  # 100 × 70 mm, 300 dpi

    def first(layout_items: tuple[object, ...], kind: type) -> object:
        return next(i for i in layout_items if isinstance(i, kind))

    bars = [first(x.items, Barcode) for x in (small, large, fine)]
    assert [b.module for b in bars] == [2, 4, 6]  # type: ignore[attr-defined]
    titles = [first(x.items, Text) for x in (small, large, fine)]
    assert titles[0].size < titles[1].size < titles[2].size  # type: ignore[attr-defined]
    assert (small.width, small.height, large.width, fine.width) == (480, 320, 799, 1181)


def test_tspl_bytes() -> None:
    stock = stock_of("tsc-tspl-network")
    data = render(CRATE, stock, "tspl", "label-1")
    text = data.decode("gb18030")
    lines = text.split("\r\n")
    assert lines[:5] == ["SIZE 100 mm,70 mm", "GAP 2 mm,0 mm", "DIRECTION 1", "REFERENCE 0,0", "CLS"]
    assert lines[-2:] == ["PRINT 1,1", ""]
    assert b'16,16,"TSS24.BF2",0,3,3,"S001 ' + "徐汇001店".encode("gb18030") + b'"' in data  # GB bytes, not UTF-8
    assert "徐汇".encode() not in data
    barcode = [line for line in lines if line.startswith("BARCODE")]
    assert len(barcode) == 1 and re.fullmatch(r'BARCODE \d+,\d+,"128M",\d+,0,0,4,4,"!105!10200' + SSCC + '"',
                                              barcode[0]), barcode  # Start C, then FNC1, then AI 00
    assert re.search(r'^QRCODE \d+,\d+,M,\d+,A,0,"\(00\)' + SSCC + '"\r$', text, re.M)
    assert 'TEXT 243,519,"TSS24.BF2",0,1,1,"(00) 0 6901234 000000001 6"' in lines
    quoted = render(Label(lines=('say "hi"',), sscc=SSCC), stock, "tspl", "label-1")
    assert b'"say \\["]hi\\["]"' in quoted


def test_zpl_bytes() -> None:
    stock = stock_of("zebra-zpl-network")
    data = render(Label(lines=("S001 徐汇001店", "a^b~c_d"), sscc=SSCC, qr="Q^1"), stock, "zpl", "zebra-1")
    text = data.decode("utf-8")
    assert text.startswith("^XA\n^CI28\n^PW799\n^LL559\n") and text.endswith("^PQ1^XZ")
    assert re.search(r"\^A@N,(\d+),\1,E:SIMSUN.TTF\^FH_\^FDS001 徐汇001店\^FS", text)  # UTF-8, the CJK font
    assert "^FH_^FDa_5Eb_7Ec_5Fd^FS" in text  # ^ ~ _ as hex escapes, printed as themselves
    assert re.search(r"\^BY4\^BCN,\d+,N,N,N\^FD>;>800" + SSCC + r"\^FS", text)  # subset C, then FNC1, then AI 00
    assert re.search(r"\^BQN,2,\d+\^FH_\^FDMA,Q_5E1\^FS", text)


def test_escpos_bytes() -> None:
    stock = stock_of("escpos-80mm-network")
    data = render(CRATE, stock, "escpos", "receipt-1")
    assert data.startswith(b"\x1b@\x1c&")  # initialise, then Chinese mode on
    assert "徐汇001店".encode("gb18030") + b"\n" in data and "徐汇".encode() not in data
    assert b"\x1dH\x00" in data and b"\x1dkI\x18{C{100" + SSCC.encode() in data  # no HRI; Start C, FNC1, AI 00
    assert b"\x1d(k\x19\x001P0(00)" + SSCC.encode() in data  # QR stored natively
    assert data.endswith(b"\x1dV\x00")
    twice = render(Label(lines=("x",), sscc=SSCC, copies=2), stock, "escpos", "receipt-1")
    assert twice.count(b"\x1dV\x00") == 2


@pytest.mark.parametrize("name", PRINTERS)
def test_text_the_font_cannot_print_is_refused_naming_characters_and_printer(name: str) -> None:
    label = Label(lines=("𠮷野家 한국", "ok"), sscc=SSCC)
    with pytest.raises(LabelError) as caught:
        render(label, stock_of(name), load_profile(name).family, "label-9")
    message = str(caught.value)
    assert "label-9" in message and "U+20BB7" in message and "U+D55C" in message and "U+91CE" not in message


def test_content_that_does_not_fit_is_refused_not_cut() -> None:
    with pytest.raises(LabelError, match="dots wide"):
        lay_out(Label(lines=("徐汇" * 30,), sscc=SSCC), stock_of("gprinter-gp1324d-tspl"))
    with pytest.raises(LabelError, match="do not fit"):
        lay_out(Label(lines=tuple(f"line {i}" for i in range(12)), sscc=SSCC), stock_of("gprinter-gp1324d-tspl"))


PRINTER_PROFILE = """
kind: printer
vendor: V
model: M
source: s
confidence: c
codec:
  family: {family}
  label:
    width_mm: 60
    height_mm: 40
    dpi: 203
    font: {font}
"""


@pytest.mark.parametrize(("family", "font", "field"), [
    ("tspl", '{name: "3", charset: ascii, dots: 24}', "charset"),
    ("zpl", '{name: "0", charset: latin-1}', "charset"),
    ("tspl", '{name: TST24.BF2, charset: big5, dots: 24}', "charset"),
    ("tspl", '{name: TSS24.BF2, charset: gb2312}', "dots"),
])
def test_a_printer_that_cannot_print_chinese_is_refused_at_load(tmp_path: Path, family: str, font: str,
                                                                field: str) -> None:
    path = tmp_path / "western.yaml"
    path.write_text(PRINTER_PROFILE.format(family=family, font=font), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.path == str(path) and caught.value.field == f"codec.label.font.{field}"
    if field == "charset":
        assert "cannot print Chinese" in caught.value.reason


def test_a_printer_profile_without_its_label_stock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text(PRINTER_PROFILE.split("  label:")[0].format(family="tspl"), encoding="utf-8")
    with pytest.raises(ProfileError, match="'label' is a required property"):
        load_profile(path)


runner = CliRunner()


@pytest.mark.parametrize("name", PRINTERS)
def test_cli_writes_the_printer_bytes_and_the_preview_for_every_printer_profile(name: str, tmp_path: Path) -> None:
    png = tmp_path / "label.png"
    result = runner.invoke(app, ["label", "--profile", name, "--line", "S001 徐汇001店", "--line", "第1/3箱 冷藏",
                                 "--sscc", SSCC, "--qr", f"(00){SSCC}", "--preview", str(png)])
    assert result.exit_code == 0, result.stderr
    expected = render(Label(lines=("S001 徐汇001店", "第1/3箱 冷藏"), sscc=SSCC, qr=f"(00){SSCC}"),
                      stock_of(name), load_profile(name).family, name)
    assert result.stdout_bytes == expected
    assert scan_png(png.read_bytes())["CODE128"] == f"]C1(00){SSCC}"


def test_cli_refuses_bad_input_before_writing_anything(tmp_path: Path) -> None:
    png = tmp_path / "label.png"
    bad_digit = runner.invoke(app, ["label", "-p", "tsc-tspl-network", "--sscc", SSCC[:-1] + "7", "--preview",
                                    str(png)])
    assert bad_digit.exit_code == 2 and "check digit" in bad_digit.stderr and bad_digit.stdout_bytes == b""
    glyph = runner.invoke(app, ["label", "-p", "tsc-tspl-network", "--line", "𠮷", "--sscc", SSCC])
    assert glyph.exit_code == 2 and "U+20BB7" in glyph.stderr and "tsc-tspl-network" in glyph.stderr
    assert glyph.stdout_bytes == b"" and not png.exists()
    not_a_printer = runner.invoke(app, ["label", "-p", "xy-md02", "--sscc", SSCC])
    assert not_a_printer.exit_code == 2 and "not a PrinterSpec" in not_a_printer.stderr


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.text(max_size=30), max_size=6), name=st.sampled_from(PRINTERS))
def test_any_text_from_hq_either_renders_or_is_refused_with_a_label_error(lines: list[str], name: str) -> None:
    stock, family = stock_of(name), load_profile(name).family
    try:
        data = render(Label(lines=tuple(lines), sscc=SSCC, qr=f"(00){SSCC}"), stock, family, name)
    except LabelError:
        return
    assert data and all(not stock.unprintable(line) for line in lines)


def test_qr_data_must_be_printable_ascii() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        Label(qr="徐汇")
