"""The unified social credit code check (GB 32100-2015) and the mobile number check."""

import pytest

from app.enterprises.service import InvalidCode, check_credit_code, check_mobile


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # a published example
        "91320200743723251F",  # check character F computed by hand from the weights
        " 91110000600037341l ",  # spaces and lower case are tidied up
    ],
)
def test_valid_codes(code):
    assert check_credit_code(code) == code.strip().upper()


def test_wrong_check_character_names_the_right_one():
    with pytest.raises(InvalidCode) as exc:
        check_credit_code("91110000600037341A")
    assert "校验码错误" in str(exc.value) and "L" in str(exc.value)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("9111000060003734", "18 位"),
        ("91110000600037341LX", "18 位"),
        ("9A110000600037341L", "前 8 位为数字"),
        ("91110000600O37341L", "I、O、S、V、Z"),
    ],
)
def test_malformed_codes(code, words):
    with pytest.raises(InvalidCode) as exc:
        check_credit_code(code)
    assert words in str(exc.value)


@pytest.mark.parametrize(
    ("raw", "clean"), [("13812345678", "13812345678"), ("+86 139-1234-5678", "13912345678")]
)
def test_valid_mobiles(raw, clean):
    assert check_mobile(raw) == clean


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "0510-1234567", ""])
def test_invalid_mobiles(raw):
    with pytest.raises(ValueError, match="11 位"):
        check_mobile(raw)
