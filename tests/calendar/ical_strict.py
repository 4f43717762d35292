"""A second, deliberately strict iCalendar reader for the tests (independent of
``icalendar``): it splits on *every* line break a program might honour
(``str.splitlines``), so a bare CR, a lone LF, a vertical tab or U+2028 inside a value shows
up as a broken or extra content line; and it refuses TEXT values whose commas, semicolons
or backslashes are not escaped (RFC 5545 3.3.11)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Properties whose value is TEXT in what our builders write (RFC 5545, RFC 7986, and the
# X-WR-* properties, TEXT by default: RFC 5545 3.8.8.2).
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "LOCATION", "NAME", "X-WR-CALNAME",
                   "X-WR-CALDESC", "X-WR-TIMEZONE", "X-MESSEKALENDER-AUDIENCES"}
LIST_PROPERTIES = {"CATEGORIES"}  # TEXT values separated by unescaped commas
_TEXT = re.compile(r'(?:[^\\,;\x00-\x08\x0a-\x1f\x7f]|\\[\\;,nN])*')
_NAME = re.compile(r"[A-Za-z0-9-]+")
_UNESCAPE = re.compile(r"\\([\\;,nN])")


class StrictError(AssertionError):
    """The bytes are no well-formed iCalendar stream."""


@dataclass
class Component:
    name: str
    properties: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        return [value for prop, _params, value in self.properties if prop == name]

    def one(self, name: str) -> str:
        found = self.values(name)
        if len(found) != 1:
            raise StrictError(f"{self.name} has {len(found)} {name}, expected one")
        return found[0]

    def walk(self, name: str) -> list[Component]:
        found = [self] if self.name == name else []
        for child in self.components:
            found += child.walk(name)
        return found


def unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda match: "\n" if match.group(1) in "nN" else match.group(1),
                         value)


def _split_params(head: str) -> tuple[str, dict[str, str]]:
    name, *raw = re.findall(r'(?:[^;"]|"[^"]*")+', head)
    if not _NAME.fullmatch(name):
        raise StrictError(f"bad property name {name!r}")
    params = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not _NAME.fullmatch(key):
            raise StrictError(f"bad parameter {item!r}")
        params[key.upper()] = value
    return name.upper(), params


def _content_line(line: str) -> tuple[str, dict[str, str], str]:
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            name, params = _split_params(line[:index])
            return name, params, line[index + 1:]
    raise StrictError(f"content line without a value: {line!r}")


def parse(data: bytes) -> Component:
    """The one top-level component of ``data``; raises ``StrictError`` on anything odd."""
    text = data.decode("utf-8")
    if not text.endswith("\r\n"):
        raise StrictError("the stream does not end with CRLF")
    physical = text.splitlines()
    if physical != text[:-2].split("\r\n"):
        raise StrictError("a line break other than CRLF")
    logical: list[str] = []
    for line in physical:
        if line[:1] in (" ", "\t"):
            if not logical:
                raise StrictError("continuation without a line")
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[Component] = []
    top: list[Component] = []
    for line in logical:
        if any(ord(char) < 32 and char != "\t" or ord(char) == 127 for char in line):
            raise StrictError(f"control character in {line!r}")
        name, params, value = _content_line(line)
        if name == "BEGIN":
            stack.append(Component(value.upper()))
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                raise StrictError(f"END:{value} does not close {stack[-1:]}")
            done = stack.pop()
            (stack[-1].components if stack else top).append(done)
        elif not stack:
            raise StrictError(f"property outside a component: {line!r}")
        else:
            if name in TEXT_PROPERTIES or name in LIST_PROPERTIES:
                parts = re.split(r"(?<!\\),", value) if name in LIST_PROPERTIES else [value]
                for part in parts:
                    if not _TEXT.fullmatch(part):
                        raise StrictError(f"unescaped TEXT in {line!r}")
                value = ",".join(unescape(part) for part in parts) \
                    if name in LIST_PROPERTIES else unescape(value)
            stack[-1].properties.append((name, params, value))
    if stack or len(top) != 1:
        raise StrictError(f"expected one top-level component, got {len(top)}")
    return top[0]
