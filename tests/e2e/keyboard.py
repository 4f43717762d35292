"""Keyboard-only steps: Tab until an element has the focus, checking at every stop that
the focus is visible and that it moves on (no trap)."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page

# The focused element, whether its focus can be seen, and where it is.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  const same = window.__lastFocus === el;
  window.__lastFocus = el;
  return {same, visible: outline || Boolean(shadow), sized: box.width > 0 && box.height > 0,
          text: (el.id ? "#" + el.id + " " : "") + el.tagName.toLowerCase() + " "
                + (el.textContent || el.value || "").trim().slice(0, 40)};
}"""


@dataclass
class Keyboard:
    """One person's keyboard on a page; counts every key they press."""

    page: Page
    presses: int = 0
    stops: list[str] = field(default_factory=list)

    def press(self, key: str) -> None:
        self.presses += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        """Typing a value counts as one step, like one click into a field would."""
        self.presses += 1
        self.page.keyboard.type(text)

    def tab_to(self, selector: str, limit: int = 120) -> None:
        """Tab forward until ``selector`` has the focus; every stop must show its focus."""
        for _ in range(limit):
            self.press("Tab")
            focus = self.page.evaluate(FOCUS)
            if focus is None:
                continue
            assert focus["visible"], f"focus not visible on {focus['text']}"
            assert focus["sized"], f"focus on an invisible element: {focus['text']}"
            assert not focus["same"], f"focus stuck on {focus['text']}"
            self.stops.append(focus["text"])
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} not reached in {limit} Tabs: {self.stops[-8:]}")

    def leaves_the_page_content(self, limit: int = 400) -> None:
        """No trap: tabbing on reaches the footer."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("() => Boolean(document.activeElement.closest('footer'))"):
                return
        raise AssertionError("the focus never reached the footer: a keyboard trap?")
