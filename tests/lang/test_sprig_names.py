"""Sprig's function names: ours against every name of sprig v3.2.3's `genericMap` (what Argo Events loads).

Each v3.2.3 name is either a working function or in NOT_SUPPORTED with its reason, which
docs/compatibility.md also lists; a name sprig v3.2.3 does not have must not be defined either (Go's
text/template fails such a template with `function "x" not defined`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sluicegate.lang import render
from sluicegate.lang._gotemplate import TemplateError
from sluicegate.lang._sprig import SPRIG, UNSUPPORTED

#: Every key of `genericMap` in Masterminds/sprig v3.2.3 functions.go (210 names), as data.
V3_2_3 = frozenset(
    """
    abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc base
    bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date
    date_in_zone date_modify dateInZone dateModify decryptAES deepCopy deepEqual default derivePassword dict dig
    dir div divf duration durationRound empty encryptAES env expandenv ext fail first float64 floor fromJson
    genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert
    genSignedCertWithKey get getHostByName has hasKey hasPrefix hasSuffix hello htmlDate htmlDateInZone htpasswd
    indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf last list lower max maxf merge
    mergeOverwrite min minf mod mul mulf must_date_modify mustAppend mustChunk mustCompact mustDateModify
    mustDeepCopy mustFirst mustFromJson mustHas mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend
    mustPush mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll mustRegexReplaceAllLiteral
    mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson mustToPrettyJson mustToRawJson mustUniq
    mustWithout nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend push quote
    randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch
    regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver
    semverCompare seq set sha1sum sha256sum shuffle slice snakecase sortAlpha split splitList splitn squote sub
    subf substr swapcase ternary title toDate toDecimal toJson toPrettyJson toRawJson toString toStrings trim
    trimAll trimall trimPrefix trimSuffix trunc tuple typeIs typeIsLike typeOf uniq unixEpoch unset until
    untilStep untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith
    """.split()  # noqa: SIM905 (the list as it reads in sprig's docs, names only)
)

_ENV = "the stack's environment is not a Sensor pod's and holds its token"
_CRYPTO = "key, password and certificate generation is not reimplemented locally"
#: v3.2.3 names defined only to fail with a message naming docs/compatibility.md, and why.
NOT_SUPPORTED = {
    "env": _ENV,
    "expandenv": _ENV,
    "getHostByName": "a DNS lookup from the host answers for the host's network, not the cluster's",
    "semver": "no semantic-version parser is reimplemented",
    "semverCompare": "no semantic-version parser is reimplemented",
    **dict.fromkeys(
        (
            "bcrypt",
            "htpasswd",
            "derivePassword",
            "genPrivateKey",
            "buildCustomCert",
            "genCA",
            "genCAWithKey",
            "genSelfSignedCert",
            "genSelfSignedCertWithKey",
            "genSignedCert",
            "genSignedCertWithKey",
            "encryptAES",
            "decryptAES",
        ),
        _CRYPTO,
    ),
}


def test_the_name_list_is_the_whole_v3_2_3_map() -> None:
    assert len(V3_2_3) == 210
    assert {"mustPush", "must_date_modify", "trimall", "date_in_zone"} <= V3_2_3
    assert not {"sha512sum", "randSeededNumeric"} & V3_2_3  # sprig v3.3.0 on; never released


def test_every_v3_2_3_name_is_defined_and_no_other() -> None:
    assert sorted(V3_2_3 - set(SPRIG)) == []
    assert sorted(set(SPRIG) - V3_2_3) == []


def test_the_not_supported_set_is_exactly_the_failing_one() -> None:
    assert set(UNSUPPORTED) == set(NOT_SUPPORTED)
    assert set(NOT_SUPPORTED) <= V3_2_3


def test_compatibility_notes_list_every_unsupported_name() -> None:
    notes = (Path(__file__).parents[2] / "docs" / "compatibility.md").read_text()
    missing = [name for name in NOT_SUPPORTED if f"`{name}`" not in notes]
    assert missing == []


@pytest.mark.parametrize("name", sorted(NOT_SUPPORTED))
def test_an_unsupported_name_fails_naming_the_notes(name: str) -> None:
    with pytest.raises(TemplateError, match=r"not supported by the local stack \(docs/compatibility.md\)"):
        render(f'{{{{ {name} "x" }}}}', {})


@pytest.mark.parametrize("name", ["sha512sum", "randSeededNumeric"])
def test_a_name_sprig_v3_2_3_lacks_is_not_defined(name: str) -> None:
    with pytest.raises(TemplateError):
        render(f'{{{{ {name} "x" }}}}', {})


@pytest.mark.parametrize(
    ("template", "out"),
    [
        ("{{ mustPush (list 1 2) 3 }} {{ push (list 1) 2 }}", "[1 2 3] [1 2]"),
        (
            '{{ toDate "2006-01-02" "2020-01-02" | must_date_modify "36h" | date "2006-01-02 15:04" }}',
            "2020-01-03 12:00",
        ),
        ('{{ toDate "2006-01-02" "2020-01-02" | date_modify "-24h" | date "2006-01-02" }}', "2020-01-01"),
        # the non-must forms swallow the error as sprig's do: date unchanged, Go's zero time, nil, false
        ('{{ toDate "2006-01-02" "2020-01-02" | dateModify "soon" | date "2006-01-02" }}', "2020-01-02"),
        ('{{ toDate "2006-01-02" "2020-01-02" | date_modify "soon" | date "2006-01-02" }}', "2020-01-02"),
        ('{{ toDate "2006-01-02" "2020-01-02" | dateModify "5" | date "2006-01-02 15:04:05" }}', "2020-01-02 00:00:00"),
        ('{{ toDate "2006-01-02" "not a date" | unixEpoch }}', "-62135596800"),
        ('{{ fromJson "{not json" | empty }} {{ fromJson "[1]" | first }}', "true 1"),
        ('{{ regexMatch "(" "x" }} {{ regexMatch "^a" "abc" }} {{ mustRegexMatch "^a" "abc" }}', "false true true"),
    ],
)
def test_must_and_plain_forms(template: str, out: str) -> None:
    assert render(template, {}) == out


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ('{{ mustPush 3 "x" }}', "mustPush"),
        ('{{ toDate "2006-01-02" "2020-01-02" | must_date_modify "soon" }}', "must_date_modify"),
        ('{{ toDate "2006-01-02" "2020-01-02" | mustDateModify "soon" }}', "mustDateModify"),
        ('{{ mustToDate "2006-01-02" "not a date" }}', "mustToDate"),
        ('{{ mustFromJson "{not json" }}', "mustFromJson"),
        ('{{ mustRegexMatch "(" "x" }}', "mustRegexMatch"),
    ],
)
def test_must_forms_fail_the_template(template: str, error: str) -> None:
    with pytest.raises(TemplateError, match=error):
        render(template, {})
