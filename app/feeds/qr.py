"""QR codes of feed addresses, as inline SVG (no image requests, no inline styles)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, *, title: str = "") -> Markup:
    """The address as a scalable SVG QR code with a white quiet zone, for phones' cameras.

    Medium error correction survives a smudged printout; the size comes from CSS.
    """
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff",
                          title=title or None, svgclass="qr-code", lineclass="qr-code__modules")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
