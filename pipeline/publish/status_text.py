"""Why an area has its status: each status explained by the rule that decided it, in the page's language.

Mix names the rule in `status_basis` (pipeline/mix/status.py) and writes the rule set of every year with its
thresholds in areas_mix_history (pipeline/mix/history.py): udsat, parallelsamfund and omdannelse by section
61 a's criteria; forebyggelse by section 61 b's own thresholds and count; none by the condition not met
(fewer residents than the law's minimum, not mainly social housing, too few criteria); undetermined by
what is unknown. Every threshold and count in these sentences is read from that rule set, none is written
here; the years 2018-2020 are described in their own law's words (ghettoområde, hårdt ghettoområde).
The map popups (one sentence, `reason_line`) and the profiles (every sentence, `explanation`) use the same texts.
"""

from __future__ import annotations

import weakref

import pandas as pd

from pipeline.publish.i18n import Language

# The columns of areas_mix_history that hold a year's rule set, and the keys of mix they come from (a run
# without the history, or an older one, takes them from the config's mix section).
RULE_COLUMNS = {
    "c1_threshold": "c1_outside_work_edu_gt", "c2_threshold": "c2_crime_ratio_ge",
    "c3_threshold": "c3_basic_edu_gt", "c4_threshold": "c4_income_ratio_lt",
    "non_western_threshold": "parallelsamfund_non_western_gt",
    "prevention_c1_threshold": "forebyggelse_c1_gt", "prevention_c2_threshold": "forebyggelse_c2_ge",
    "prevention_c3_threshold": "forebyggelse_c3_gt", "prevention_c4_threshold": "forebyggelse_c4_lt",
    "prevention_non_western_threshold": "forebyggelse_non_western_gt",
    "rule_min_residents": "min_residents", "rule_min_social_share": "min_social_share",
    "rule_min_criteria": "udsat_min_criteria", "rule_prevention_min_criteria": "forebyggelse_min_criteria",
    "rule_omdannelse_years": "omdannelse_years", "rule_prevention_areas": "forebyggelse_areas",
    "rule_terms": "terms", "rule_from_year": "from_year", "rule_to_year": "to_year",
}
# The rule set applied to an areas table's (latest) year, by the table (tables.area_table_from_inputs attaches
# it), so every page and profile of a release explains with the same rules. Held with a weak reference.
_TABLE_RULES: dict[int, tuple[weakref.ref, dict]] = {}
# The status words of the law with an English gloss, by the words of the rule set ("ghetto" 2018-2020).
STATUS_WORDS = {
    "none": "none (not on the list)",
    "forebyggelse": "forebyggelsesområde (prevention area)",
    "udsat": "udsat boligområde (vulnerable area)",
    "parallelsamfund": "parallelsamfund (parallel society)",
    "omdannelse": "omdannelsesområde (transformation area)",
    "undetermined": "undetermined (missing data could change it)",
}
GHETTO_WORDS = {"parallelsamfund": "ghettoområde (ghetto area, the rules of 2018-2020)",
                "omdannelse": "hårdt ghettoområde (hard ghetto area, the rules of 2018-2020)"}
# (criterion, value column, comparison, threshold column of § 61 a, threshold column of § 61 b)
CRITERIA = (
    ("c1", "share_outside_work_edu", "gt", "c1_threshold", "prevention_c1_threshold"),
    ("c2", "crime_ratio", "ge", "c2_threshold", "prevention_c2_threshold"),
    ("c3", "share_basic_edu", "gt", "c3_threshold", "prevention_c3_threshold"),
    ("c4", "income_ratio", "lt", "c4_threshold", "prevention_c4_threshold"),
)
COMPARISONS = {"gt": "more than {t}", "ge": "at least {t}", "lt": "less than {t}"}
# The codes of status_basis (pipeline/mix/status.py) in words, for tables that show the column.
BASIS_WORDS = {"section_61a": "§ 61 a (udsat boligområde, parallelsamfund, omdannelsesområde)",
               "section_61b": "§ 61 b (forebyggelsesområde)", "unknown": "unknown inputs (undetermined)",
               "few_residents": "fewer residents than the law requires", "not_social": "not mainly social housing",
               "few_criteria": "too few criteria met"}
# What deciding_unknown names besides the criteria, in words.
UNKNOWN_NAMES = {"share_non_western": "the share of non-Western origin",
                 "eligible": "whether the law covers the area (residents or social share)",
                 "years_listed": "the earlier years as parallelsamfund"}


def known(value: object) -> bool:
    """Whether a value is there (not None, NaN or pandas NA)."""
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


def rules_from_config(mix_config: dict) -> dict:
    """The rule set of the mix config's keys (the latest rules), under areas_mix_history's column names."""
    rules = {column: mix_config.get(key) for column, key in RULE_COLUMNS.items()}
    rules["rule_prevention_areas"] = bool(mix_config.get("forebyggelse_areas", True))
    rules["rule_terms"] = mix_config.get("terms") or "parallelsamfund"
    return rules


def latest_rules(history: pd.DataFrame | None, mix_config: dict) -> dict:
    """The rule set applied to the latest year: the history's latest year's, else the mix config's keys."""
    rules = rules_from_config(mix_config)
    if history is None or not len(history):
        return rules
    years = pd.to_numeric(history["year"], errors="coerce") if "year" in history.columns else None
    latest = history[years == years.max()] if years is not None and years.notna().any() else history
    row = latest.iloc[0]
    rules.update({c: row[c] for c in RULE_COLUMNS if c in latest.columns and known(row[c])})
    return rules


def attach_rules(table: pd.DataFrame, rules: dict) -> None:
    """Remember the rule set applied to the table's areas (rules_of gives it back)."""
    for gone in [k for k, (ref, _) in _TABLE_RULES.items() if ref() is None]:
        del _TABLE_RULES[gone]
    _TABLE_RULES[id(table)] = (weakref.ref(table), rules)


def rules_of(table: pd.DataFrame) -> dict | None:
    """The rule set attached to this very table, if any."""
    found = _TABLE_RULES.get(id(table))
    return found[1] if found is not None and found[0]() is table else None


def basis_text(lang: Language, basis: object) -> str:
    """status_basis in words: each code of the rule (or of the conditions not met) in the language."""
    return "; ".join(lang(BASIS_WORDS.get(code, code)) for code in str(basis).split(", ") if code)


def status_word(lang: Language, status: object, terms: object = None) -> str:
    """A status as the law of its rule set names it (ghettoområde for 2018-2020), with an English gloss."""
    if not isinstance(status, str) or status not in STATUS_WORDS:
        return lang("no data")
    if terms == "ghetto" and status in GHETTO_WORDS:
        return lang(GHETTO_WORDS[status])
    return lang(STATUS_WORDS[status])


def threshold_text(lang: Language, code: str, threshold: object) -> str:
    """A threshold as the law writes it: 40 %, 3 times (one decimal only where it has one)."""
    if not known(threshold):
        return lang("no data")
    value = float(threshold)
    if code == "c2":
        return lang("{x} times", x=lang.number(value, 0 if value.is_integer() else 1))
    return lang.percent(value, 0 if float(round(value * 100, 9)).is_integer() else 1)


def value_text(lang: Language, code: str, value: object) -> str:
    """A criterion's value: c2 as a multiple of the national rate, the others as percentages."""
    if not known(value):
        return lang("no data")
    return lang("{x} times", x=lang.number(float(value), 2)) if code == "c2" else lang.percent(float(value), 1)


def test_text(lang: Language, code: str, comparison: str, threshold: object) -> str:
    """"more than 40 %", "at least 3 times", "less than 55 %"."""
    return lang(COMPARISONS[comparison], t=threshold_text(lang, code, threshold))


def rule_set_text(lang: Language, rules: dict) -> str:
    """The rule set in words: its sections, years and the names of its lists (never a config name)."""
    first, last = rules.get("rule_from_year"), rules.get("rule_to_year")
    sections = lang("§ 61 a and § 61 b") if rules.get("rule_prevention_areas", True) else lang("§ 61 a")
    if known(first) and known(last):
        period = lang("the rules of {first}-{last}", first=int(first), last=int(last))
    elif known(first):
        period = lang("the rules since {first}", first=int(first))
    else:
        period = lang("the rules in force")
    words = (lang("ghettoområder and hårde ghettoområder; no forebyggelsesområder")
             if rules.get("rule_terms") == "ghetto" else
             lang("udsatte boligområder, parallelsamfund, omdannelsesområder and forebyggelsesområder")
             if rules.get("rule_prevention_areas", True) else
             lang("udsatte boligområder, parallelsamfund and omdannelsesområder"))
    return lang("Almenboligloven {sections}, {period} ({words})", sections=sections, period=period, words=words)


def _count(value: object) -> int:
    """A count of criteria or years (0 where unknown)."""
    return int(value) if known(value) else 0


def _in_brackets(value: object) -> str:
    """" (c1, c4)" after a count, or nothing when no criterion is named."""
    return " (" + str(value) + ")" if known(value) and value else ""


def _criteria_met(lang: Language, row, rules: dict) -> str:
    """"3 of the 4 criteria of § 61 a are met (c1, c2, c4); an udsat boligområde needs at least 2"."""
    names = row.get("criteria")
    return lang("{n} of the 4 criteria of § 61 a are met{names}; an udsat boligområde needs at least {k}.",
                n=_count(row.get("criteria_met")), names=_in_brackets(names),
                k=_count(rules.get("rule_min_criteria")))


def _non_western(lang: Language, row, rules: dict, column: str) -> tuple[str, str]:
    """The non-Western share and the threshold in `column` as texts."""
    return (value_text(lang, "non_western", row.get("share_non_western")),
            threshold_text(lang, "non_western", rules.get(column)))


def _prevention(lang: Language, row, rules: dict) -> str:
    """Section 61 b: the non-Western share against its threshold and the prevention criteria met."""
    share, limit = _non_western(lang, row, rules, "prevention_non_western_threshold")
    names = row.get("prevention_criteria")
    return lang("Forebyggelsesområde under § 61 b: immigrants and descendants from non-Western countries are {x} of "
                "the residents (more than {t}), and {n} of the 4 prevention criteria of § 61 b are met{names}; "
                "at least {k} are needed.", x=share, t=limit, n=_count(row.get("prevention_criteria_met")),
                names=_in_brackets(names), k=_count(rules.get("rule_prevention_min_criteria")))


def _not_prevention(lang: Language, row, rules: dict) -> str:
    """Why a social area of enough residents is no forebyggelsesområde either."""
    if not rules.get("rule_prevention_areas", True):
        return lang("These rules had no forebyggelsesområder (§ 61 b came in 2021).")
    share, limit = _non_western(lang, row, rules, "prevention_non_western_threshold")
    value = row.get("share_non_western")
    if known(value) and known(rules.get("prevention_non_western_threshold")) and \
            round(float(value), 12) <= float(rules["prevention_non_western_threshold"]):
        return lang("Not a forebyggelsesområde (§ 61 b): immigrants and descendants from non-Western countries are "
                    "{x} of the residents, not more than {t}.", x=share, t=limit)
    names = row.get("prevention_criteria")
    return lang("Not a forebyggelsesområde (§ 61 b): {n} of the 4 prevention criteria are met{names}; at least {k} "
                "are needed.", n=_count(row.get("prevention_criteria_met")),
                names=_in_brackets(names), k=_count(rules.get("rule_prevention_min_criteria")))


def _listed(lang: Language, row, rules: dict) -> list[str]:
    """Udsat, parallelsamfund and omdannelse: section 61 a's count, the non-Western share, the years."""
    status, terms = row.get("status"), rules.get("rule_terms")
    texts = [lang("Udsat boligområde under § 61 a: {n} of the 4 criteria are met{names}; at least {k} are needed.",
                  n=_count(row.get("criteria_met")),
                  names=_in_brackets(row.get("criteria")),
                  k=_count(rules.get("rule_min_criteria")))]
    share, limit = _non_western(lang, row, rules, "non_western_threshold")
    word = status_word(lang, "parallelsamfund", terms).split(" (")[0]
    if status in ("parallelsamfund", "omdannelse"):
        texts.append(lang("{word}: immigrants and descendants from non-Western countries are also {x} of the residents "
                          "(more than {t}).", word=word.capitalize(), x=share, t=limit))
    else:
        texts.append(lang("Not a {word}: immigrants and descendants from non-Western countries are {x} of the "
                          "residents, not more than {t}.", word=word, x=share, t=limit))
    years, needed = row.get("years_listed"), rules.get("rule_omdannelse_years")
    if status == "omdannelse":
        texts.append(lang("{word}: a {listed} {n} years in a row, this year included; at least {k} are needed "
                          "(the last {k} years).", word=status_word(lang, "omdannelse", terms).split(" (")[0].capitalize(),
                          listed=word, k=_count(needed), n=_count(years) + 1))
    elif status == "parallelsamfund" and known(needed):
        texts.append(lang("A {listed} {n} years in a row, this year included; an omdannelsesområde after {k} years in "
                          "a row.", listed=word, n=_count(years) + 1, k=_count(needed)))
    return texts


def _none(lang: Language, row, rules: dict) -> list[str]:
    """Not on the list: the conditions the law sets and the area does not meet."""
    basis = str(row.get("status_basis") or "")
    texts = []
    if "few_residents" in basis:
        texts.append(lang("Not covered by the law: {n} residents, fewer than the {k} that § 61 a and § 61 b require.",
                          n=lang.number(row.get("residents")), k=lang.number(rules.get("rule_min_residents"))))
    if "not_social" in basis:
        texts.append(lang("Not covered by the law: social housing is {x} of the dwellings; § 61 a and § 61 b cover "
                          "areas of mainly social housing (at least {t}).",
                          x=value_text(lang, "share", row.get("share_social")),
                          t=threshold_text(lang, "share", rules.get("rule_min_social_share"))))
    if texts:
        if _count(row.get("criteria_met")):
            texts.append(lang("{n} of the 4 criteria are met, but they do not count for an area the law does not "
                              "cover.", n=_count(row.get("criteria_met"))))
        return texts
    return [_criteria_met(lang, row, rules), _not_prevention(lang, row, rules)]


def _undetermined(lang: Language, row, rules: dict) -> list[str]:
    """Undetermined: the criteria known, and the unknown inputs that could change the status."""
    deciding = [n for n in str(row.get("deciding_unknown") or "").split(", ") if n]
    names = ", ".join(lang(UNKNOWN_NAMES.get(n, n)) for n in deciding)
    texts = [lang("Undetermined: the status depends on {names}, which the data do not give.", names=names or "?")]
    unknown = row.get("criteria_unknown")
    texts.append(_criteria_met(lang, row, rules) + (
        " " + lang("Unknown: {names}.", names=unknown) if known(unknown) and unknown else ""))
    return texts


def explanation(lang: Language, row, rules: dict) -> list[str]:
    """Every sentence that explains the area's status by the rule that decided it (row: the area's areas_mix row,
    or its history row of a year; rules: that year's rule set, `latest_rules` for the current status)."""
    status = row.get("status")
    if status in ("udsat", "parallelsamfund", "omdannelse"):
        return _listed(lang, row, rules)
    if status == "forebyggelse":
        return [_prevention(lang, row, rules), _criteria_met(lang, row, rules)]
    if status == "undetermined":
        return _undetermined(lang, row, rules)
    if status == "none":
        return _none(lang, row, rules)
    return [lang("no data")]


def reason_line(lang: Language, row, rules: dict) -> str:
    """The one sentence a map popup shows: the first of the explanation."""
    return explanation(lang, row, rules)[0]


def rule_values(lang: Language, rules: dict) -> dict:
    """The rule set's thresholds and counts as the law writes them, for texts that describe the rules."""
    return {
        "rules": rule_set_text(lang, rules), "prevention": bool(rules.get("rule_prevention_areas", True)),
        "social": threshold_text(lang, "share", rules.get("rule_min_social_share")),
        "residents": lang.number(rules.get("rule_min_residents")), "k": _count(rules.get("rule_min_criteria")),
        "nw": threshold_text(lang, "share", rules.get("non_western_threshold")),
        "years": _count(rules.get("rule_omdannelse_years")),
        "pnw": threshold_text(lang, "share", rules.get("prevention_non_western_threshold")),
        "pk": _count(rules.get("rule_prevention_min_criteria")),
        **{f"p{i}": threshold_text(lang, f"c{i}", rules.get(f"prevention_c{i}_threshold")) for i in range(1, 5)},
    }
