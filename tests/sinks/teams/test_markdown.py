"""Inert markdown: what hostile text turns into, and code spans for values to copy."""

from __future__ import annotations

from bot.sinks.teams.markdown import (
    ZERO_WIDTH_SPACE as Z,
)
from bot.sinks.teams.markdown import (
    code_span,
    inert_markdown,
    shorten,
    strip_invisible,
    trusted_markdown,
)


def test_links_mentions_entities_and_functions_are_broken():
    assert inert_markdown("[x](https://e.example)") == f"\\[x\\]{Z}(https:{Z}//e.{Z}example)"
    assert inert_markdown("<at>A</at>") == f"<{Z}at>A<{Z}/at>"
    assert inert_markdown("&lt; &#60; & x") == f"&{Z}lt; &{Z}#60; & x"
    assert inert_markdown("{{DATE(x)}}") == f"{{{Z}{{DATE(x)}}}}"


def test_emphasis_and_block_markers_are_escaped():
    assert inert_markdown("**a** _b_ ~c~ `d`") == r"\*\*a\*\* \_b\_ \~c\~ \`d\`"
    assert inert_markdown("- a") == r"\- a"
    assert inert_markdown("12. a") == r"12\. a"
    assert inert_markdown("# a") == r"\# a"


def test_whitespace_and_controls_collapse_to_one_line():
    assert inert_markdown(" a\n\nb\t\x1b[1m c\u202e ") == r"a b \[1m c"


def test_limit_shortens_before_escaping():
    assert inert_markdown("abcdef", 4) == "abc…"
    assert shorten("abc", 3) == "abc"


def test_trusted_text_keeps_markdown_but_not_tags():
    assert (
        trusted_markdown("**Subscribed** <at>x</at>\r\n- a")
        == f"**Subscribed** <{Z}at>x<{Z}/at>\n- a"
    )


def test_code_span_only_for_id_like_values():
    assert code_span("19:abc-DEF_1@thread.tacv2") == "`19:abc-DEF_1@thread.tacv2`"
    assert code_span("a`b") == r"a\`b"
    assert code_span("https://evil.example") == f"https:{Z}//evil.{Z}example"


def test_strip_invisible_undoes_copied_breakers():
    assert strip_invisible(f" 19:a@thread.{Z}tacv2\u2060 ") == "19:a@thread.tacv2"


def test_unicode_domains_are_broken_too():
    assert inert_markdown("пример.рф") == f"пример.{Z}рф"
    assert inert_markdown("FCC 25-81, v1.4") == "FCC 25-81, v1.4"
