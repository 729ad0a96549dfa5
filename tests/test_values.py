"""Numbers and dates of the vocabulary's value types, and where they are read or recognised."""

import datetime as dt
import math

import pytest

from valuegraph.graph.model import budget_of
from valuegraph.loaders.recipe import parse_date as register_date
from valuegraph.loaders.recipe import parse_number as register_number
from valuegraph.loaders.validate import RawItem, Where, validate
from valuegraph.schema.values import is_number, number_or, parse_date, parse_number


@pytest.mark.parametrize("value", [0, -3, 2.5, 10**30, 1e300])
def test_finite_ints_and_floats_are_numbers(value):
    assert is_number(value) and number_or(value, None) == float(value)


@pytest.mark.parametrize("value", [True, False, math.inf, -math.inf, math.nan, "3", None, [1], dt.date(2026, 1, 1)])
def test_bools_non_finite_floats_and_other_values_are_not_numbers(value):
    assert not is_number(value) and number_or(value, "default") == "default"


def test_the_budget_sum_skips_what_is_no_number():
    assert budget_of({"budget": 7}) == 7.0
    assert budget_of({"budget": True}) is None and budget_of({"budget": math.inf}) is None and budget_of({}) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("42", 42), ("-7", -7), ("+3", 3), ("1e3", 1000.0), ("12.0", 12.0), ("0.25", 0.25),
    ("123456789012345678901234567890", 123456789012345678901234567890),  # exact: not through a float
])
def test_parse_number(text, expected):
    value = parse_number(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["", "12k", "inf", "-Infinity", "nan", "1e400", "1,5", "true"])
def test_parse_number_refuses_text_that_is_no_finite_number(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_date_reads_iso_dates_and_date_times():
    assert parse_date("2026-03-31") == dt.date(2026, 3, 31) and type(parse_date("2026-03-31")) is dt.date
    assert parse_date("2026-03-31T10:30:00") == dt.datetime(2026, 3, 31, 10, 30)
    for text in ("31/03/2026", "2026-13-01", "March 2026", ""):
        with pytest.raises(ValueError):
            parse_date(text)


def test_registers_read_spreadsheet_numbers_through_the_same_parser():
    assert register_number("£1,234", ".") == 1234 and type(register_number("£1,234", ".")) is int
    assert register_number("1.234,5", ",") == 1234.5
    assert register_number("(250)", ".") == -250
    assert register_number("98765432109876543210", ".") == 98765432109876543210
    with pytest.raises(ValueError):
        register_number("inf", ".")


def test_registers_read_iso_and_day_first_dates():
    assert register_date("2026-03-31", None) == dt.date(2026, 3, 31)
    assert register_date("2026-03-31 00:00:00", None) == dt.date(2026, 3, 31)  # a spreadsheet's date cell as text
    assert register_date("31/03/2026", None) == dt.date(2026, 3, 31)
    assert register_date("2026-3-1", None) == dt.date(2026, 3, 1)
    assert register_date("03.31.2026", "%m.%d.%Y") == dt.date(2026, 3, 31)
    with pytest.raises(ValueError):
        register_date("someday", None)


def _csv_project(**cells) -> list:
    item = RawItem({"id": "P1", "kind": "Project", "name": "P", **cells}, Where("Project.csv:2", csv=True), from_text=True)
    doc = validate("s", [item], [], "Project.csv")
    return doc.errors or doc.entities[0].properties


def test_csv_cells_are_read_as_numbers_and_dates_of_the_vocabulary():
    props = _csv_project(budget="120000", startDate="2026-01-15")
    assert props["budget"] == 120000 and type(props["budget"]) is int and props["startDate"] == dt.date(2026, 1, 15)


@pytest.mark.parametrize(("cell", "message"), [("inf", "must be a number"), ("yes", "must be a number")])
def test_csv_cells_that_are_no_finite_number_are_refused(cell, message):
    errors = _csv_project(budget=cell)
    assert len(errors) == 1 and message in errors[0].message and errors[0].location == "Project.csv:2, column budget"
