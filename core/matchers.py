"""Label matchers that limit a run to part of the metrics source (e.g. one cluster of several in one
VictoriaMetrics): ``[victoria_metrics] matchers`` as a table ``{ cluster = "prod-eu" }`` (equality) or a list of
PromQL matchers ``'cluster="prod-eu"'``, ``'cluster=~"prod-.*"'``, ``'region!="test"'``, ``'env!~"dev|ci"'``.

They are parsed and checked once, when the config is loaded, and rendered back in one canonical form
(``name op "escaped value"``) that every series selector of the run carries (DCGM and kube-state-metrics alike).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gpu_reclaim.core.series import escape_label_value

OPERATORS = ("=~", "!~", "!=", "=")  # longest first, so "=~" is never read as "=" followed by "~"
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*', re.DOTALL)
# VictoriaMetrics evaluates regexps with Go's RE2 (anchored): no lookaround, no backreferences.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


@dataclass(frozen=True)
class LabelMatcher:
    name: str
    op: str
    value: str

    def render(self) -> str:
        return f'{self.name}{self.op}"{escape_label_value(self.value)}"'


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            escaped = next(chars)  # the pattern guarantees a character after every backslash
            out.append(_UNESCAPE.get(escaped, "\\" + escaped))
        else:
            out.append(char)
    return "".join(out)


def _checked(matcher: LabelMatcher, where: str) -> LabelMatcher:
    if not _LABEL_NAME.fullmatch(matcher.name):
        raise ValueError(f"{where}: {matcher.name!r} is not a label name ([A-Za-z_][A-Za-z0-9_]*)")
    if matcher.name == "__name__":
        raise ValueError(f"{where}: __name__ cannot be limited (the metric names are configured under [metrics])")
    if matcher.op in ("=~", "!~"):
        try:
            re.compile(matcher.value)
        except re.error as error:
            raise ValueError(f"{where}: {matcher.value!r} is not a regular expression ({error})") from None
        if _NOT_RE2.search(matcher.value):
            raise ValueError(f"{where}: {matcher.value!r} uses lookaround or a backreference, which RE2 lacks")
    return matcher


def parse_matcher(text: str, where: str = "matcher") -> LabelMatcher:
    """One PromQL label matcher, ``name op "value"`` with ``op`` one of =, !=, =~, !~."""
    found = _MATCHER.fullmatch(text)
    if found is None:
        raise ValueError(f'{where}: {text!r} is not a label matcher (label="value", !=, =~ or !~ with a quoted value)')
    name, op, value = found.groups()
    return _checked(LabelMatcher(name, op, _unescape(value)), where)


def parse_matchers(raw: object) -> tuple[LabelMatcher, ...]:
    """A table of label = value (equality) or a list of matcher strings; anything else is refused."""
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        matchers = []
        for name, value in raw.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise ValueError(f"{name!r}: label values must be strings, got {type(value).__name__}")
            matchers.append(_checked(LabelMatcher(name, "=", value), repr(name)))
        return tuple(matchers)
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        parsed = []
        for index, item in enumerate(raw):
            if not isinstance(item, str):
                raise ValueError(f"item {index}: a matcher is a string like 'cluster=\"prod-eu\"'")
            parsed.append(parse_matcher(item, f"item {index}"))
        return tuple(parsed)
    raise ValueError('expected a table { label = "value" } or a list of matchers like [\'cluster="prod-eu"\']')


def canonical_matchers(raw: object) -> list[str]:
    """The configured matchers, checked, in their canonical rendered form."""
    return [matcher.render() for matcher in parse_matchers(raw)]
