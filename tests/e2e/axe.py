"""axe-core in the browser tests: run it on a page, summarise what it found.

axe-core is vendored in ``app/static/vendor/axe-core/`` (with its licence) and loaded from
the served app itself, so the page's Content-Security-Policy (scripts from the site only)
stays as in production and nothing is fetched from another host.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

AXE_URL = "/static/vendor/axe-core/axe.min.js"
# WCAG 2.1 A/AA (the bar of BITV 2.0) plus axe's best practices.
AXE_OPTIONS = {
    "runOnly": {"type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("critical", "serious")

# axe 4.7 retired its duplicate-id rules (WCAG 2.2 dropped 4.1.1); BITV 2.0 still asks for
# it and a repeated id breaks label and aria references, so the sweep checks it itself.
RUN_AXE = """async (options) => {
  const result = await axe.run(document, options);
  const found = result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
  const seen = new Map();
  for (const element of document.querySelectorAll('[id]')) {
    seen.set(element.id, (seen.get(element.id) || 0) + 1);
  }
  const repeated = [...seen].filter(([, count]) => count > 1).map(([id]) => '#' + id);
  if (repeated.length) {
    found.push({id: 'duplicate-id', impact: 'serious', targets: repeated,
                help: 'id attribute values must be unique'});
  }
  return found;
}"""


@dataclass
class Violation:
    page: str
    width: int
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" …" if len(self.targets) > 3 else "")
        return (f"{self.impact:8} {self.rule} on {self.page} at {self.width} px: "
                f"{self.help} [{shown}]")


def run_axe(page, label: str | None = None) -> list[Violation]:
    """axe's violations on the page as it is now (loads axe once per document)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    found = page.evaluate(RUN_AXE, AXE_OPTIONS)
    where = label or page.url
    width = page.viewport_size["width"] if page.viewport_size else 0
    return [Violation(where, width, v["id"], v["impact"] or "minor", v["help"], v["targets"])
            for v in found]


def blocking(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in BLOCKING]


@dataclass
class Tally:
    """Violations of one sweep, counted by width and impact (a rule on a page counts once)."""

    violations: list[Violation] = field(default_factory=list)
    pages: set[str] = field(default_factory=set)

    def counts(self) -> dict[int, Counter]:
        by_width: dict[int, Counter] = {}
        for violation in self.violations:
            by_width.setdefault(violation.width, Counter())[violation.impact] += 1
        return by_width

    def summary(self, role: str) -> str:
        lines = [f"axe sweep as {role}: {len(self.pages)} pages"]
        for width, counter in sorted(self.counts().items(), reverse=True):
            parts = ", ".join(f"{impact} {counter[impact]}"
                              for impact in ("critical", "serious", "moderate", "minor"))
            lines.append(f"  {width} px: {parts}")
        rules = Counter((v.impact, v.rule) for v in self.violations)
        lines += [f"  {count:3}× {impact} {rule}" for (impact, rule), count in rules.most_common()]
        return "\n".join(lines)
