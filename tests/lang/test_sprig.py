"""Sprig's functions in Go templates (Sensor `dataTemplate`, filter `template`), with sprig's documented results.

Each case is a template and what Go's text/template with `sprig.FuncMap()` (as Argo Events loads it) prints.
"""

# ruff: noqa: E501  (the table keeps one case a line)

from __future__ import annotations

import hashlib
import zlib

import pytest

from sluicegate.errors import ExprError
from sluicegate.lang import render
from sluicegate.lang._gotemplate import TemplateError
from sluicegate.lang._sprig import SPRIG, UNSUPPORTED

DATA = {"Input": {"body": {"msg": "hello world", "user": {"role": "admin"}, "n": 7}}}

CASES = [
    # strings
    ('{{ substr 0 5 "hello world" }}', "hello"),
    ('{{ substr 2 99 "hello" }}', "llo"),
    ('{{ substr -1 3 "hello" }}', "hel"),
    ("{{ .Input.body.msg | substr 6 11 }}", "world"),
    ('{{ title "hello world" }}', "Hello World"),
    ('{{ title "hELLO wORLD" }}', "HELLO WORLD"),
    ('{{ untitle "Hello World" }}', "hello world"),
    ('{{ nospace "hello w o r l d" }}', "helloworld"),
    ('{{ abbrev 5 "hello world" }}', "he..."),
    ('{{ abbrevboth 5 10 "1234 5678 9123" }}', "...5678..."),
    ('{{ initials "First Try" }}', "FT"),
    ('{{ swapcase "This Is A.Test" }}', "tHIS iS a.tEST"),
    ('{{ snakecase "FirstName" }}', "first_name"),
    ('{{ camelcase "http_server" }}', "HttpServer"),
    ('{{ kebabcase "FirstName" }}', "first-name"),
    ('{{ wrapWith 5 "\\t" "Hello World" }}', "Hello\tWorld"),
    ('{{ plural "one anchovy" "many anchovies" 2 }}', "many anchovies"),
    ('{{ trunc -5 "hello world" }}', "world"),
    ('{{ repeat 3 "hello" }}', "hellohellohello"),
    ('{{ trimAll "$" "$5.00" }} {{ trimSuffix "-" "hello-" }} {{ trimPrefix "-" "-hello" }}', "5.00 hello hello"),
    ('{{ indent 2 "a\\nb" }}|{{ nindent 2 "c" }}', "  a\n  b|\n  c"),
    ('{{ cat "hello" "beautiful" "world" }}', "hello beautiful world"),
    ('{{ quote "a" 1 }} {{ squote "b" }}', "\"a\" \"1\" 'b'"),
    ('{{ splitList "$" "foo$bar$baz" }}', "[foo bar baz]"),
    ('{{ index (split "$" "foo$bar$baz") "_1" }}', "bar"),
    ('{{ splitn "$" 2 "foo$bar$baz" }}', "map[_0:foo _1:bar$baz]"),
    ('{{ sortAlpha (list "b" "c" "a") }} {{ join "-" (list "x" "y") }}', "[a b c] x-y"),
    ('{{ sha256sum "Hello world!" }}', hashlib.sha256(b"Hello world!").hexdigest()),
    ('{{ sha1sum "x" }} {{ adler32sum "Hello world!" }}', f"{hashlib.sha1(b'x').hexdigest()} {zlib.adler32(b'Hello world!')}"),
    ('{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ b32enc "hello" }}', "aGVsbG8= hello NBSWY3DP"),
    ('{{ hello }}', "Hello!"),
    # numbers
    ("{{ add 1 2 3 }} {{ add1 .Input.body.n }} {{ sub 5 7 }} {{ mul 2 3 4 }}", "6 8 -2 24"),
    ("{{ div 7 2 }} {{ mod 7 3 }} {{ max 1 9 3 }} {{ min 4 2 8 }} {{ biggest 1 5 }}", "3 1 9 2 5"),
    ("{{ round 123.555555 3 }} {{ ceil 1.1 }} {{ floor 1.9 }}", "123.556 2 1"),
    ("{{ addf 1.5 2 }} {{ mulf 1.5 2 }} {{ subf 5 1.5 }} {{ divf 3 2 }} {{ maxf 1 2.5 }}", "3.5 3 3.5 1.5 2.5"),
    ('{{ atoi "42" }} {{ int "7" }} {{ float64 "1.5" }} {{ toDecimal "0777" }}', "42 7 1.5 511"),
    ("{{ seq 5 }}|{{ seq -3 }}|{{ seq 2 -2 }}|{{ seq 0 2 10 }}", "1 2 3 4 5|1 0 -1 -2 -3|2 1 0 -1 -2|0 2 4 6 8 10"),
    ("{{ until 5 }} {{ untilStep 3 6 2 }}", "[0 1 2 3 4] [3 5]"),
    # lists
    ("{{ first (list 1 2 3) }} {{ rest (list 1 2 3) }} {{ last (list 1 2 3) }} {{ initial (list 1 2 3) }}", "1 [2 3] 3 [1 2]"),
    ("{{ append (list 1 2) 3 }} {{ prepend (list 1 2) 0 }} {{ concat (list 1 2) (list 3) }}", "[1 2 3] [0 1 2] [1 2 3]"),
    ("{{ reverse (list 1 2 3) }} {{ uniq (list 1 1 2) }} {{ without (list 1 2 3) 2 }}", "[3 2 1] [1 2] [1 3]"),
    ('{{ has 4 (list 1 2 3) }} {{ compact (list 1 "" "foo") }} {{ slice (list 1 2 3 4 5) 1 3 }}', "false [1 foo] [2 3]"),
    ("{{ chunk 3 (list 1 2 3 4 5 6 7 8) }}", "[[1 2 3] [4 5 6] [7 8]]"),
    # dicts and data
    ('{{ get (dict "a" 1) "a" }} {{ hasKey (dict "b" 2) "b" }} {{ keys (dict "b" 1 "a" 2) | sortAlpha }}', "1 true [a b]"),
    ('{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" }} {{ omit (dict "a" 1 "b" 2) "a" }}', "map[a:1 c:3] map[b:2]"),
    ('{{ dig "user" "role" "guest" .Input.body }} {{ dig "user" "team" "none" .Input.body }}', "admin none"),
    ('{{ pluck "a" (dict "a" 1) (dict "a" 2) }} {{ merge (dict "a" 1) (dict "a" 2 "b" 3) }}', "[1 2] map[a:1 b:3]"),
    ('{{ mergeOverwrite (dict "a" 1) (dict "a" 2) }} {{ values (dict "a" 1) }}', "map[a:2] [1]"),
    ('{{ toJson (dict "a" "<b>") }} {{ toRawJson (dict "a" "<b>") }}', '{"a":"\\u003cb\\u003e"} {"a":"<b>"}'),
    ('{{ index (fromJson "{\\"x\\": [1]}") "x" }} {{ ternary "foo" "bar" true }} {{ empty "" }}', "[1] foo true"),
    ('{{ coalesce "" 0 "x" }} {{ default "d" "" }} {{ all 1 "a" }} {{ any 0 "" }}', "x d true false"),
    ('{{ kindOf "hello" }} {{ kindIs "int" 123 }} {{ typeOf (list) }} {{ deepEqual (list 1) (list 1) }}', "string true []interface {} true"),
    # paths, regular expressions, URLs
    ('{{ base "foo/bar/baz" }} {{ dir "foo/bar/baz" }} {{ clean "foo/bar/../baz" }} {{ ext "foo.bar" }}', "baz foo/bar foo/baz .bar"),
    ('{{ regexMatch "^[a-z]+$" "abc" }} {{ regexFindAll "[2,4,6,8]" "123456789" -1 }}', "true [2 4 6 8]"),
    ('{{ regexFind "[a-zA-Z][1-9]" "abcd1234" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "d1 -W-xxW-"),
    ('{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }} {{ regexSplit "z+" "pizza" -1 }}', "-${1}-${1}- [pi a]"),
    ('{{ regexQuoteMeta "1.2.3" }}', "1\\.2\\.3"),
    ('{{ urlParse "http://admin:secret@server.com:8080/api?list=false#anchor" | toJson }}',
     '{"fragment":"anchor","host":"server.com:8080","hostname":"server.com","opaque":"","path":"/api",'
     '"query":"list=false","scheme":"http","userinfo":"admin:secret"}'),
    ('{{ urlJoin (dict "scheme" "https" "host" "a.b" "path" "/p" "query" "q=1") }}', "https://a.b/p?q=1"),
    # dates and durations
    ('{{ duration 95 }} {{ duration "3600" }} {{ durationRound "2h10m5s" }} {{ durationRound "400h" }}', "1m35s 1h0m0s 2h 16d"),
    ('{{ dateInZone "2006-01-02T15:04:05Z07:00" 0 "UTC" }}', "1970-01-01T00:00:00Z"),
    ('{{ toDate "2006-01-02" "2017-12-31" | date "Jan 2, 2006" }}', "Dec 31, 2017"),
    ('{{ toDate "2006-01-02T15:04:05Z07:00" "2020-03-04T05:06:07Z" | unixEpoch }}', "1583298367"),
    ('{{ toDate "2006-01-02T15:04:05Z07:00" "2020-03-04T05:06:07Z" | dateModify "1.5h" | date "15:04 Mon" }}', "06:36 Wed"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "expected"), CASES)
def test_sprig_functions_print_what_sprig_prints(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


def test_random_and_clock_functions_give_values_of_the_right_shape() -> None:
    out = render('{{ randAlphaNum 12 }} {{ randNumeric 4 }} {{ uuidv4 }} {{ now | date "2006" }}', DATA).split()
    assert len(out[0]) == 12 and out[0].isalnum() and out[1].isdigit() and len(out[2]) == 36
    assert out[3].isdigit() and len(out[3]) == 4


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_functions_fail_naming_the_compatibility_notes(name: str) -> None:
    assert name in SPRIG
    with pytest.raises(TemplateError, match="not supported by the local stack"):
        render(f'{{{{ {name} "x" }}}}', DATA)


def test_fail_stops_the_template_with_its_message() -> None:
    with pytest.raises((TemplateError, ExprError), match="no way"):
        render('{{ fail "no way" }}', DATA)
