import pytest

from kiosk.domain import barcode
from kiosk.domain.errors import InvalidInput


@pytest.mark.parametrize("code", ["4006381333931", "96385074", "036000291452", "5901234123457"])
def test_published_gtins_are_valid(code):
    # GS1's and Wikipedia's worked examples for EAN-13, EAN-8 and UPC-A.
    assert barcode.is_valid_gtin(code)
    assert barcode.validate(code) == barcode.normalize(code)


@pytest.mark.parametrize("code", ["4006381333932", "96385075", "036000291453"])
def test_a_wrong_check_digit_is_refused(code):
    assert not barcode.is_valid_gtin(code)
    with pytest.raises(InvalidInput, match="check digit"):
        barcode.validate(code)


def test_upc_a_is_the_same_product_as_its_ean13():
    assert barcode.normalize("036000291452") == "0036000291452"
    assert barcode.is_valid_gtin("0036000291452")


@pytest.mark.parametrize("code", ["", "   ", "12 34", "x" * 49, "abc\x00"])
def test_things_that_are_not_barcodes(code):
    with pytest.raises(InvalidInput):
        barcode.validate(code)


def test_free_form_codes_are_kept():
    assert barcode.validate(" HOUSE-0042 ") == "HOUSE-0042"
    assert barcode.symbology("HOUSE-0042") is None
