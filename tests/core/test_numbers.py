"""Numbers in the organisation's format: read one way, refused with the format named."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.numbers import NumberField, override, parse_number, plain, readable

POINT_RULE = "Use a point for decimals, like 1.5."
COMMA_RULE = "Use a comma for decimals, like 1,5."


@pytest.mark.parametrize(
    ("typed", "point", "comma"),
    [
        ("1.5", Decimal("1.5"), COMMA_RULE),
        ("1,5", POINT_RULE, Decimal("1.5")),
        ("1,250", Decimal("1250"), Decimal("1.25")),
        ("1.250", Decimal("1.25"), Decimal("1250")),
        ("1,250.5", Decimal("1250.5"), COMMA_RULE),
        ("1.250,5", POINT_RULE, Decimal("1250.5")),
        ("1 250", Decimal("1250"), Decimal("1250")),
        ("12\u202f500,75", POINT_RULE, Decimal("12500.75")),
        ("-3", Decimal("-3"), Decimal("-3")),
        ("\u22123", Decimal("-3"), Decimal("-3")),  # the typographic minus
        ("\uff11\uff12", Decimal("12"), Decimal("12")),  # fullwidth digits
        (" 7 ", Decimal("7"), Decimal("7")),
        ("1,25", POINT_RULE, Decimal("1.25")),  # not a group of three: a decimal comma
        ("abc", "Enter a number, like 1.5.", "Enter a number, like 1,5."),
        ("NaN", "Enter a number, like 1.5.", "Enter a number, like 1,5."),
        ("1e9", "Enter a number, like 1.5.", "Enter a number, like 1,5."),
        ("1_000", "Enter a number, like 1.5.", "Enter a number, like 1,5."),
        ("-", "Enter a number, like 1.5.", "Enter a number, like 1,5."),
    ],
)
def test_a_number_is_read_in_the_organisations_format(typed, point, comma):
    for number_format, expected in (("point", point), ("comma", comma)):
        if isinstance(expected, Decimal):
            assert parse_number(typed, number_format) == expected
        else:
            with pytest.raises(ValidationError) as refused:
                parse_number(typed, number_format)
            assert refused.value.messages == [expected]


def test_minus_zero_is_zero():
    assert str(parse_number("-0")) == "0"
    assert str(parse_number("-0,00", "comma")) == "0.00"
    assert readable(Decimal("-0")) == "0"
    assert readable(-0.001) == "0"
    assert readable(Decimal("-1250.5")) == "-1,250.5"
    assert plain(Decimal("-0.0000")) == "0"


def test_a_number_box_shows_and_reads_the_active_format():
    field = NumberField(max_digits=16, decimal_places=4)
    assert 'inputmode="decimal"' in field.widget.render(
        "value", "1.5", field.widget_attrs(field.widget)
    )
    with override("comma"):
        assert field.clean("1,5") == Decimal("1.5")
        assert field.prepare_value(Decimal("1250.5000")) == "1250,5"
        with pytest.raises(ValidationError, match="Use a comma for decimals"):
            field.clean("1.5")
    assert field.prepare_value(Decimal("1250.5000")) == "1250.5"
    with pytest.raises(ValidationError, match="Use a point for decimals"):
        field.clean("1,5")


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            NumberField(min_value=1, max_value=100, noun="a weight"),
            "0",
            "Enter a weight from 1 to 100.",
        ),
        (NumberField(min_value=0), "-2", "Enter a number of 0 or more."),
        (NumberField(max_digits=6, decimal_places=2), "1.234", "at most 2 decimal places"),
        (NumberField(max_digits=6, decimal_places=2), "123456", "at most 4 digits before"),
        (NumberField(decimal_places=0), "2.5", "Enter a whole number, like 3."),
    ],
)
def test_range_messages_are_written_for_people(field, typed, message):
    with pytest.raises(ValidationError) as refused:
        field.clean(typed)
    assert message in refused.value.messages[0]
