"""Go templates print values and walk fields as Go's text/template does (Sensor `dataTemplate`, filter `template`).

Argo Events executes the template over a `map[string]interface{}` built from the event's JSON, with no
`missingkey` option: an action whose value is nil prints `<no value>`; `fmt` prints a nil operand as `<nil>`;
a field past a missing key has no value, a field of null or of a non-object fails the template.
"""

from __future__ import annotations

import re

import pytest

from sluicegate.lang import TemplateError, render

DATA = {"Input": {"body": {"gone": None, "tags": [None, "x"], "n": 7}}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # an action whose value is nil: a JSON null, a missing key, a nil element or function result
        ("{{ .Input.body.gone }}", "<no value>"),
        ("{{ .Input.body.nope }}", "<no value>"),
        ("{{ index .Input.body.tags 0 }}", "<no value>"),
        ("{{ first (list) }}", "<no value>"),
        ("{{ range .Input.body.tags }}[{{ . }}]{{ end }}", "[<no value>][x]"),
        # a nil operand of fmt's printing, top-level or inside a map or a list
        ("{{ print .Input.body.nope }}", "<nil>"),
        ("{{ .Input.body.gone | print }}", "<nil>"),
        ('{{ printf "%v" .Input.body.gone }}', "<nil>"),
        ("{{ .Input.body.nope | toString }}", "<nil>"),
        ("{{ .Input.body }}", "map[gone:<nil> n:7 tags:[<nil> x]]"),
    ],
)
def test_nil_prints_no_value_from_an_action_and_nil_from_fmt(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


def test_print_puts_a_space_only_between_two_operands_that_are_not_strings() -> None:
    assert render('{{ print 1 2 "a" "b" 3 .Input.body.n }}', DATA) == "1 2ab3 7"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006", "0001"),
        ("06", "01"),
        ("2006-01-02T15:04:05Z07:00", "0001-01-01T00:00:00Z"),
        ("Mon Jan _2 2006", "Mon Jan  1 0001"),
    ],
)
def test_the_zero_time_prints_its_year_padded_to_four_digits(layout: str, expected: str) -> None:
    assert render(f'{{{{ toDate "2006-01-02" "not a date" | date "{layout}" }}}}', {}) == expected


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ .Input.body.gone.x }}", "nil pointer evaluating interface {}.x"),
        ("{{ if .Input.body.gone.x }}y{{ end }}", "nil pointer evaluating interface {}.x"),
        ("{{ .Input.body.n.x }}", "can't evaluate field x in type interface {}"),
        ("{{ range .Input.body.tags }}{{ .x }}{{ end }}", "nil pointer evaluating interface {}.x"),
    ],
)
def test_a_field_of_null_or_of_a_non_object_fails_the_template(template: str, error: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(error)):
        render(template, DATA)


def test_a_field_past_a_missing_key_has_no_value() -> None:
    assert render("{{ .Input.body.nope.x.y }}", DATA) == "<no value>"
