"""axe-core in headless Chromium: the WCAG 2.1 A and AA checks of a published page, offline.

axe-core comes from the npm registry, pinned in package.json / package-lock.json and installed by
`npm ci` (the Makefile's test target does it) into node_modules/. The script is injected into the page
as inline text (playwright reads the file), so nothing is fetched; every request that is not a file,
data or blob URL is aborted, as the pages must work offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
# The rules a Danish public body must meet (webtilgængelighedsloven: WCAG 2.1 AA through EN 301 549).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The three screens of the issue: a desktop, a small laptop or tablet in landscape, a phone.
SIZES = {"desktop": (1400, 900), "laptop": (1024, 768), "phone": (390, 844)}


def block_network(page) -> list[str]:
    """Abort every request that would leave the machine; return the list the aborted URLs are appended to."""
    blocked: list[str] = []

    def route(r):
        if urlparse(r.request.url).scheme in ("file", "data", "blob"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return blocked


def run_axe(page, tags: list[str] | None = None) -> list[dict]:
    """Inject axe-core into the loaded page and return its violations of the WCAG 2.1 A/AA rules.

    Each violation is axe's record: id (the rule), impact, help, and nodes (target selectors, failure summary).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": tags or WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("(options) => axe.run(document, options)", options)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """The violations as short readable lines: rule id, impact, count and the first targets with axe's summary."""
    lines = []
    for v in violations:
        targets = ", ".join(json.dumps(n["target"]) for n in v["nodes"][:3])
        summary = v["nodes"][0].get("failureSummary", "").replace("\n", " ")[:200] if v["nodes"] else ""
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}; e.g. {targets}: {summary}")
    return "\n".join(lines)
