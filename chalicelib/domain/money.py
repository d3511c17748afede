"""Money and currencies: Decimal only, with each currency's minor unit (ISO 4217)."""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import InvalidRequest

# ISO 4217 codes with their number of decimal places. Codes not listed are refused: a loyalty
# programme settles in real currencies, and an unknown code is far more often a typo than a need.
MINOR_UNITS: dict[str, int] = {
    "AED": 2,
    "ARS": 2,
    "AUD": 2,
    "BGN": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CLP": 0,
    "CNY": 2,
    "COP": 2,
    "CZK": 2,
    "DKK": 2,
    "EGP": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "HUF": 2,
    "IDR": 2,
    "ILS": 2,
    "INR": 2,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KES": 2,
    "KRW": 0,
    "KWD": 3,
    "MAD": 2,
    "MXN": 2,
    "MYR": 2,
    "NGN": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PEN": 2,
    "PHP": 2,
    "PKR": 2,
    "PLN": 2,
    "QAR": 2,
    "RON": 2,
    "RSD": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "UAH": 2,
    "USD": 2,
    "VND": 0,
    "XOF": 0,
    "ZAR": 2,
}

# Plain decimal text only: no exponent, sign, spaces, separators, NaN or Infinity. Always fullmatch():
# with match(), "$" also matches before a final newline, and Decimal() ignores surrounding whitespace.
PLAIN_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")

# One purchase above this is a data error, not a sale (it also keeps point arithmetic far from overflow).
MAX_AMOUNT = Decimal("10000000")


def parse_currency(code: object, field: str = "currency") -> str:
    if not isinstance(code, str) or code not in MINOR_UNITS:
        raise InvalidRequest(f"{field} must be an ISO 4217 currency code such as EUR", field=field)
    return code


def parse_amount(value: object, currency: str, field: str = "amount") -> Decimal:
    """A positive amount given as a decimal string, with no more decimals than the currency has."""
    if not isinstance(value, str):
        raise InvalidRequest(f'{field} must be a decimal string such as "42.50"', field=field)
    if not PLAIN_DECIMAL.fullmatch(value):
        raise InvalidRequest(f'{field} must be a plain positive decimal such as "42.50"', field=field)
    amount = Decimal(value)
    if amount <= 0:
        raise InvalidRequest(f"{field} must be greater than zero", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidRequest(f"{field} must not exceed {MAX_AMOUNT}", field=field)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > MINOR_UNITS[currency]:
        raise InvalidRequest(f"{field} has more decimals than {currency} allows ({MINOR_UNITS[currency]})", field=field)
    return amount


def parse_rate(value: object, field: str) -> Decimal:
    """A non-negative decimal string such as an earn rate ("1.5") or a fee per point ("0.002")."""
    if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value):
        raise InvalidRequest(f'{field} must be a plain decimal string such as "1.5"', field=field)
    rate = Decimal(value)
    if rate > 1000:
        raise InvalidRequest(f"{field} must be between 0 and 1000", field=field)
    return rate


# A % back with more decimals than this is a typo, not a promise; it also keeps the rate derived from it (and the
# points of a purchase at the largest amount) exact well within Decimal's 28 digits.
PERCENT_DECIMALS = 4


def parse_percent(value: object, field: str) -> Decimal:
    """A cashback percent: a plain decimal string above 0 and at most 100, e.g. "2" or "1.5"."""
    if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value):
        raise InvalidRequest(f'{field} must be a plain decimal string such as "1.5" (percent)', field=field)
    percent = Decimal(value)
    if not 0 < percent <= 100:
        raise InvalidRequest(f"{field} must be above 0 and at most 100 (percent)", field=field)
    exponent = percent.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > PERCENT_DECIMALS:
        raise InvalidRequest(f"{field} has more than {PERCENT_DECIMALS} decimals", field=field)
    return percent


def to_str(amount: Decimal) -> str:
    return format(amount, "f")
