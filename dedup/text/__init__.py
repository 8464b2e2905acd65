"""Text stages: normalization and boilerplate removal."""

from dedup.text.boilerplate import (
    RemovedSpan,
    Rule,
    RuleSet,
    Stripped,
    apply_learned,
    count_lines,
    default_rules,
    learn_boilerplate,
    load_rules,
    parse_rules,
    strip_boilerplate,
)
from dedup.text.normalization import fold, normalize, tokenize

__all__ = [
    "RemovedSpan",
    "Rule",
    "RuleSet",
    "Stripped",
    "apply_learned",
    "count_lines",
    "default_rules",
    "fold",
    "learn_boilerplate",
    "load_rules",
    "normalize",
    "parse_rules",
    "strip_boilerplate",
    "tokenize",
]
