"""Accessibility checks run in the browser: axe-core, then the portal's own structural rules."""

BLOCKING_IMPACTS = ("serious", "critical")

AXE_RUN = """async () => {
  const results = await window.axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
  }));
}"""

# Landmarks, headings and the focus order's first stop, as a screen reader meets them.
STRUCTURE = """() => {
  const outsideMain = (el) => !el.closest("main, article, aside, section, nav");
  return {
    banner: [...document.querySelectorAll("header")].filter(outsideMain).length,
    nav: document.querySelectorAll("nav").length,
    main: document.querySelectorAll("main").length,
    contentinfo: [...document.querySelectorAll("footer")].filter(outsideMain).length,
    h1: [...document.querySelectorAll("h1")].map((h) => h.textContent.trim()),
    skipLink: (() => {
      const first = document.querySelector("body a[href]");
      return first ? first.getAttribute("href") : null;
    })(),
  };
}"""


def axe_violations(page, axe_source, impacts=BLOCKING_IMPACTS):
    """axe-core's violations on the page as it is now, of the given impacts.

    axe is evaluated through the DevTools protocol (``page.evaluate``), which the
    page's Content-Security-Policy does not govern, so no CSP exception is needed.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in impacts]


def format_violations(violations, where):
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more element(s)")
    return "\n".join(lines)


def structure_problems(page):
    """What is wrong with the page's landmarks, h1 and skip link, as a list of sentences."""
    found = page.evaluate(STRUCTURE)
    problems = []
    for landmark, element in (("banner", "<header>"), ("contentinfo", "<footer>"), ("main", "<main>")):
        if found[landmark] != 1:
            problems.append(f"expected one {element} landmark ({landmark}), found {found[landmark]}")
    if found["nav"] < 1:
        problems.append("no <nav> landmark")
    if len(found["h1"]) != 1:
        problems.append(f"expected exactly one <h1>, found {len(found['h1'])}: {found['h1']}")
    if found["skipLink"] != "#main":
        problems.append(f"the first link should skip to #main, it goes to {found['skipLink']!r}")
    return problems


def assert_accessible(page, axe_source, where):
    """Zero serious/critical axe violations and sound page structure, with a readable failure."""
    problems = structure_problems(page)
    violations = axe_violations(page, axe_source)
    message = []
    if violations:
        message.append(format_violations(violations, where))
    if problems:
        message.append(f"Page structure on {where}: " + "; ".join(problems))
    assert not message, "\n".join(message)
