"""The declaration the seller signs (issue 23, item 7), read back with pypdf and rendered with
pdftoppm: one page, the store's CNPJ, the masked CPF and never the full one, the serial, the
condition in words, the payout, Brasília time, the signature lines, and a QR a phone reads as the
purchase id."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from laptop_pricing.purchase.declaration_pdf import (
    TITLE,
    DeclarationFacts,
    declaration_file_name,
    declaration_pdf,
)
from laptop_pricing.trade_in.condition import QUESTIONS, Condition
from laptop_pricing.trade_in.quote_document import StoreIdentity

DOCS = Path(__file__).resolve().parent.parent / "docs"
STORE = StoreIdentity(
    "Loja Exemplo — Centro Comercial do Bairro",
    "Rua Exemplo, 1234, sala 5 — Centro, São Paulo/SP, 01001-000",
    "11.222.333/0001-81",
    "(11) 4000-1234",
)
FULL_CPF = "123.456.789-09"
CONDITION = Condition.from_payload(
    {
        "powers_on": True,
        "screen": "scratched",
        "body": "worn",
        "keyboard_ports": "faulty",
        "battery": "weak",
        "charger": False,
        "locks_removed": True,
    }
)


def facts(**changes: object) -> DeclarationFacts:
    """The longest declaration a counter makes: a long name, store and laptop description."""
    base = DeclarationFacts(
        store=STORE,
        purchase_id="113G-3959-QF6V",
        recorded_at=datetime(2026, 12, 7, 15, 5, tzinfo=UTC),
        seller_name="Maria Aparecida dos Santos Oliveira de Albuquerque Cavalcanti",
        masked_cpf="***.456.789-**",
        document_type="rg",
        masked_document="*****789",
        laptop_description=(
            "Dell Inspiron 15 3520 · Intel Core i5 (11ª geração) · 8 GB de RAM · SSD de 512 GB "
            "· Windows 11 · tela de 15,6 polegadas · placa de vídeo integrada"
        ),
        serial="5CD1234XYZ",
        label_brand="Dell",
        label_model="Inspiron 15 3520 (P112F)",
        condition=CONDITION,
        agreed_amount=1000,
        payout_label="Crédito na loja",
        payout_amount=1100,
        bonus_percent=10,
        clerk_name="João Pedro da Silva",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def read_back(declaration: DeclarationFacts) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(declaration_pdf(declaration)))
    return len(reader.pages), " ".join(reader.pages[0].extract_text().split())


def test_the_declaration_fits_page_one_with_its_title_store_serial_and_signatures():
    pages, text = read_back(facts())

    assert pages == 1
    assert TITLE in text
    assert "CNPJ 11.222.333/0001-81" in text and "Tel. (11) 4000-1234" in text
    assert "Rua Exemplo, 1234" in text
    assert "5CD1234XYZ" in text and "Inspiron 15 3520 (P112F)" in text and "Dell" in text
    assert "Vendedor" in text and "Atendente" in text and "João Pedro da Silva" in text
    assert "Compra 113G-3959-QF6V" in text


def test_the_seller_appears_by_name_and_masked_cpf_never_the_full_cpf():
    _, text = read_back(facts())
    digits = "".join(ch for ch in text if ch.isdigit())

    assert "Maria Aparecida dos Santos Oliveira de Albuquerque Cavalcanti" in text
    assert "***.456.789-**" in text and "RG *****789" in text
    assert FULL_CPF not in text and "12345678909" not in digits


@pytest.mark.parametrize("cpf", [FULL_CPF, "12345678909", "123.456.789-09 ***"])
def test_facts_with_a_full_cpf_are_refused_before_any_paper(cpf):
    with pytest.raises(ValueError, match="masked_cpf"):
        facts(masked_cpf=cpf)


def test_facts_with_an_unmasked_document_or_a_naive_time_are_refused():
    with pytest.raises(ValueError, match="masked_document"):
        facts(masked_document="12.345.678-9")
    with pytest.raises(ValueError, match="aware"):
        facts(recorded_at=datetime(2026, 12, 7, 15, 5))


def test_the_condition_is_printed_in_the_questions_own_words():
    _, text = read_back(facts())

    for question, answer in CONDITION.answers():
        assert question.short_label in text and answer.label in text
    assert len(CONDITION.answers()) == len(QUESTIONS) == 7
    assert "Estado na inspeção" in text


def test_store_credit_shows_the_amount_with_its_bonus():
    _, text = read_back(facts())

    assert "Valor combinado R$ 1.000,00" in text
    assert "Crédito na loja: R$ 1.100,00 (R$ 1.000,00 + 10 % de bônus)" in text


def test_pix_shows_the_agreed_amount_and_no_bonus():
    _, text = read_back(
        facts(payout_label="Pix", payout_amount=1000, bonus_percent=None, agreed_amount=1000)
    )

    assert "Pix: R$ 1.000,00" in text and "bônus" not in text


def test_the_time_is_brasilias_whatever_zone_it_was_recorded_in():
    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2026, 12, 8, 0, 5, tzinfo=tokyo)  # 2026-12-07 15:05 UTC

    _, text = read_back(facts(recorded_at=moment))

    assert "Registrada em 07/12/2026 às 12:05 (horário de Brasília)" in text
    assert "Data: 07/12/2026" in text


def test_the_declaration_says_what_the_seller_declares():
    _, text = read_back(facts())

    assert "legítimo proprietário" in text and "procedência lícita" in text
    assert "transfiro a sua posse e propriedade a Loja Exemplo" in text


def test_without_a_clerk_name_the_line_says_atendente_and_without_a_cnpj_none_is_invented():
    _, text = read_back(
        facts(clerk_name=None, store=StoreIdentity("Loja Exemplo", None, None, None))
    )

    assert text.count("Atendente") >= 2  # the line's role and the name under it
    assert "CNPJ" not in text


def test_the_file_name_carries_the_purchase_id():
    assert declaration_file_name(facts()) == "declaracao-113G-3959-QF6V.pdf"


def test_the_rendered_page_has_a_full_qr_code_a_phone_reads_as_the_purchase_id(tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm missing: install Debian's poppler-utils (make test does)"
    path = tmp_path / "declaracao.pdf"
    path.write_bytes(declaration_pdf(facts()))

    command = [
        pdftoppm,
        "-png",
        "-r",
        "80",
        "-singlefile",
        str(path),
        str(DOCS / "screenshot-declaration"),
    ]
    subprocess.run(command, check=True, timeout=60)

    page = Image.open(DOCS / "screenshot-declaration.png")
    codes = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in codes] == ["113G-3959-QF6V"]
    # A Micro QR (what segno picks for a short text) is skipped by phone cameras.
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
