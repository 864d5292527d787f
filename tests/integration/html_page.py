"""What a page really holds once parsed: its elements, their attributes and its visible text.

Looking for ``<script`` in the file's text would also find the escaped ``&lt;script&gt;`` a
report is supposed to show; parsing tells an element from text that only looks like one.
"""

from __future__ import annotations

from html.parser import HTMLParser

# Elements whose text a browser never shows.
_INVISIBLE = frozenset({"style", "title", "head", "script"})
_VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text_parts: list[str] = []
        self._open: list[str] = []

    @classmethod
    def parse(cls, markup: str) -> Page:
        page = cls()
        page.feed(markup)
        page.close()
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag not in _VOID:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not _INVISIBLE & set(self._open):
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        """What a reader sees, whitespace as written."""
        return "".join(self.text_parts)

    def event_handlers(self) -> list[str]:
        """``on…`` attributes (``onerror``, ``onload``): script hidden in an attribute."""
        return [f"{tag}[{name}]" for tag, name, _ in self.attributes if name.startswith("on")]

    def assert_inert(self) -> None:
        """No element and no attribute that could run script or load anything."""
        assert not {"script", "img", "iframe", "object", "embed"} & set(self.tags), self.tags
        assert not self.event_handlers(), self.event_handlers()
        loading = [(t, n) for t, n, _ in self.attributes if n in {"src", "href", "srcset"}]
        assert not loading, loading
