"""Pages as readers see them: a check in a real browser, screenshots and a printed PDF.

:func:`check_pages` opens each page in headless Chromium (Debian's ``chromium`` with
``chromium-driver``, driven by selenium) at 1280 and 390 px wide and reports, per page:
horizontal overflow of the page body, any table wider than its container (a scroll box does
not count as fitting), code names (snake_case, ``csplib.*`` paths), scientific notation and
"NaN"/"None" in the visible text, images without alt text, and the serious or critical
violations that axe-core finds under the WCAG 2.0, 2.1 and 2.2 A/AA tags (axe-core 4.12,
shipped with csplib, injected through ``axe-selenium-python``).
:func:`screenshots` writes PNGs of the contents page, the summary, threat and places
chapters and one theme pack at both widths, and the threat chapter printed to PDF
(``make screenshots``).

selenium and axe-selenium-python are development dependencies: they are imported only when
a browser is started.

Examples
--------
>>> text_problems("Rate ratio 1.5; q_value 5.39e-29; cell NaN")
['code name: q_value', 'scientific notation: 5.39e-29', 'NaN: NaN']
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from csplib.core.errors import CspError

__all__ = [
    "WIDTHS",
    "AXE_TAGS",
    "AXE_SCRIPT",
    "Problem",
    "browser_missing",
    "open_browser",
    "text_problems",
    "check_page",
    "check_pages",
    "shared_pages",
    "screenshots",
    "main",
]

#: The widths every page is checked at: a laptop and a phone.
WIDTHS: tuple[int, ...] = (1280, 390)

#: axe-core rule tags run by the check (WCAG 2.0, 2.1 and 2.2, levels A and AA). The tags the
#: axe-core in use does not know are left out (an older ``axe_script`` may lack 2.1 and 2.2).
AXE_TAGS: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: The axe-core the check injects by default: 4.12.1, shipped with csplib (see
#: ``csplib/present/vendor/axe-core/README.md``), as axe-selenium-python 2.1 ships axe-core 3.1,
#: which has no WCAG 2.2 rules.
AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
_DRIVER = ("chromedriver",)

_CODE_NAME = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-]|\.\w)")
_MODULE_PATH = re.compile(r"(?<![\w.])csplib(?:\.\w+)+")
_SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][-+]?\d+(?![\w.])")
_NAN = re.compile(r"\b(?:NaN|nan|NaT)\b|\bNone\b(?!\s+(?:of|was|were|is|are|has|have|had)\b)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong on a page at one width.

    Parameters
    ----------
    page : str
        The page, relative to the folder checked (``html/02_threat.html``).
    width : int
        The browser width in CSS pixels.
    kind : str
        ``overflow``, ``wide table``, ``code name``, ``scientific notation``, ``NaN``,
        ``None``, ``image without alt text`` or ``axe <rule>``.
    detail : str
        What and where: the table's caption, the text found, axe's help and targets.
    """

    page: str
    width: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page} at {self.width} px: {self.kind}: {self.detail}"


def text_problems(text: str) -> list[str]:
    """Code names, scientific notation and "NaN"/"None" in a page's visible text.

    File names and paths (``tables/threat_ward.csv``) are not code names; the library's
    module paths (``csplib.methods.harm``) are.

    Examples
    --------
    >>> text_problems("None of the wards; see tables/02_threat__ward_trends.csv")
    []
    >>> text_problems("p = 8.32e-236 and None; see csplib.methods.harm")
    ['code name: csplib.methods.harm', 'scientific notation: 8.32e-236', 'None: None']
    """
    found = []
    patterns = (("code name", _CODE_NAME), ("code name", _MODULE_PATH))
    for kind, pattern in (*patterns, ("scientific notation", _SCIENTIFIC)):
        found += [f"{kind}: {m}" for m in dict.fromkeys(pattern.findall(text))]
    for m in dict.fromkeys(_NAN.findall(text)):
        found.append(f"{'None' if m == 'None' else 'NaN'}: {m}")
    return found


def browser_missing() -> str | None:
    """Why no browser check can run here (None when it can): Chromium, its driver or
    selenium missing.

    Examples
    --------
    >>> browser_missing() is None or "install" in browser_missing()
    True
    """
    if not any(shutil.which(b) for b in _CHROMIUM):
        return "Chromium is not installed (Debian: apt-get install chromium chromium-driver)"
    if not any(shutil.which(d) for d in _DRIVER):
        return "chromedriver is not installed (Debian: apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium axe-selenium-python)"
    return None


@contextmanager
def open_browser() -> Iterator:
    """A headless Chromium under selenium, closed on exit.

    Raises
    ------
    CspError
        When Chromium, chromedriver or selenium is missing (the message says what to install).
    """
    reason = browser_missing()
    if reason:
        raise CspError(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(b) for b in _CHROMIUM if shutil.which(b))
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1280,900",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    driver_path = next(shutil.which(d) for d in _DRIVER if shutil.which(d))
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(120)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def _viewport(driver, width: int, height: int = 900) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


# Layout measured in the page: body overflow, tables wider than their container (or inside
# a box that scrolls sideways), images without alt text, the visible text.
_MEASURE = r"""
const doc = document.documentElement;
const out = {overflow: Math.max(doc.scrollWidth, document.body.scrollWidth) - doc.clientWidth,
             tables: [], images: [], text: document.body.innerText};
document.querySelectorAll('table').forEach((t, i) => {
  const cap = t.caption ? t.caption.innerText.trim() : '';
  const name = 'table ' + (i + 1) + (cap ? ' "' + cap.slice(0, 80) + '"' : '');
  const w = t.getBoundingClientRect().width;
  const parent = t.parentElement.getBoundingClientRect().width;
  let excess = Math.max(w - parent, t.scrollWidth - t.clientWidth);
  for (let a = t.parentElement; a && a !== document.body; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX;
    if (ox !== 'visible' && a.scrollWidth > a.clientWidth + 1) {
      excess = Math.max(excess, a.scrollWidth - a.clientWidth);
    }
  }
  if (excess > 1) out.tables.push(name + ': ' + Math.round(excess) + ' px too wide');
  const left = t.getBoundingClientRect().left;
  if (left < -1) out.tables.push(name + ': cut off by ' + Math.round(-left) + ' px at the left');
});
document.querySelectorAll('img:not([alt])').forEach(img => {
  out.images.push((img.getAttribute('src') || '').slice(0, 60));
});
return out;
"""


def _axe(driver, script: Path | None) -> list[dict]:
    from axe_selenium_python import Axe

    axe = Axe(driver, str(script or AXE_SCRIPT))
    axe.inject()
    known = set(
        driver.execute_script("return [].concat(...axe.getRules().map(r => r.tags || []));")
    )
    tags = [t for t in AXE_TAGS if t in known]  # an older axe-core lacks the 2.1/2.2 tags
    options = json.dumps({"runOnly": {"type": "tag", "values": tags}})
    results = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {options}).then(r => done(r)).catch(e => done({{error: String(e)}}));"
    )
    if "error" in results:
        raise CspError(f"axe-core failed: {results['error']}")
    return [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]


def check_page(
    driver,
    path: Path,
    width: int,
    *,
    name: str | None = None,
    axe: bool = True,
    axe_script: Path | None = None,
) -> list[Problem]:
    """Open ``path`` at ``width`` px in ``driver`` (:func:`open_browser`) and list its problems.

    Parameters
    ----------
    driver : selenium WebDriver
    path : Path
        The HTML file.
    width : int
        Viewport width in CSS pixels.
    name : str, optional
        How the page is named in the problems (default: the file name).
    axe : bool
        Run axe-core too (serious and critical violations of :data:`AXE_TAGS`).
    axe_script : Path, optional
        Another ``axe.min.js`` than :data:`AXE_SCRIPT`.
    """
    name = name or Path(path).name
    _viewport(driver, width)
    driver.get(Path(path).resolve().as_uri())
    found = driver.execute_script(_MEASURE)
    problems = []
    if found["overflow"] > 1:
        problems.append(
            Problem(
                name, width, "overflow", f"the page is {found['overflow']} px wider than the window"
            )
        )
    problems += [Problem(name, width, "wide table", t) for t in found["tables"]]
    by_kind: dict[str, list[str]] = {}
    for item in text_problems(found["text"]):
        kind, _, text = item.partition(": ")
        by_kind.setdefault(kind, []).append(text)
    for kind, texts in by_kind.items():
        more = f" and {len(texts) - 8} more" if len(texts) > 8 else ""
        problems.append(Problem(name, width, kind, ", ".join(texts[:8]) + more))
    problems += [Problem(name, width, "image without alt text", s) for s in found["images"]]
    if axe:
        for v in _axe(driver, axe_script):
            targets = "; ".join(str(n["target"][0]) for n in v["nodes"][:3])
            more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
            problems.append(
                Problem(
                    name, width, f"axe {v['id']}", f"{v['impact']}: {v['help']}: {targets}{more}"
                )
            )
    return problems


def shared_pages(folder: Path) -> list[Path]:
    """The pages an assessment shares: ``index.html``, ``html/*.html`` and ``packs/*.html``.

    Review copies (with code) are not shared, so not checked.
    """
    folder = Path(folder)
    pages = [folder / "index.html"] if (folder / "index.html").exists() else []
    return (
        pages + sorted((folder / "html").glob("*.html")) + sorted((folder / "packs").glob("*.html"))
    )


def check_pages(
    pages: Iterable[Path],
    *,
    root: Path | None = None,
    widths: Iterable[int] = WIDTHS,
    axe: bool = True,
    axe_script: Path | None = None,
) -> dict[str, list[Problem]]:
    """Check every page at every width (:func:`check_page`) in one browser.

    Parameters
    ----------
    pages : iterable of Path
        HTML files, e.g. :func:`shared_pages`.
    root : Path, optional
        Pages are named relative to it (default: by file name).
    widths : iterable of int
        Viewport widths, default :data:`WIDTHS`.
    axe, axe_script
        As for :func:`check_page`.

    Returns
    -------
    dict
        Page name -> its problems (an empty list for a page without any).
    """
    out: dict[str, list[Problem]] = {}
    with open_browser() as driver:
        for page in pages:
            name = str(Path(page).relative_to(root)) if root else Path(page).name
            out[name] = []
            for width in widths:
                out[name] += check_page(
                    driver, page, width, name=name, axe=axe, axe_script=axe_script
                )
    return out


def _full_page_png(driver, width: int) -> bytes:
    _viewport(driver, width)
    height = driver.execute_script(
        "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);"
    )
    _viewport(driver, width, min(int(height), 16000))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


def screenshots(folder: Path, target: Path | None = None) -> list[Path]:
    """Write full-page PNGs of the contents page, the summary, threat and places chapters
    and the first theme pack at each of :data:`WIDTHS`, and the threat chapter printed
    to PDF (A4, as Chrome prints it), into ``target`` (default ``folder/screenshots``).

    Returns the files written; a page the assessment did not produce is left out.
    """
    folder = Path(folder)
    target = Path(target) if target else folder / "screenshots"
    packs = sorted((folder / "packs").glob("*.html"))
    wanted = {
        "index": folder / "index.html",
        "summary": folder / "html" / "00_summary.html",
        "threat": folder / "html" / "02_threat.html",
        "places": folder / "html" / "05_places.html",
    }
    if packs:
        wanted[f"pack-{packs[0].stem}"] = packs[0]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with open_browser() as driver:
        for label, page in wanted.items():
            if not page.exists():
                continue
            for width in WIDTHS:
                _viewport(driver, width)
                driver.get(page.resolve().as_uri())
                png = target / f"{label}-{width}.png"
                png.write_bytes(_full_page_png(driver, width))
                written.append(png)
        threat = wanted["threat"]
        if threat.exists():
            from selenium.webdriver.common.print_page_options import PrintOptions

            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            driver.get(threat.resolve().as_uri())
            options = PrintOptions()
            options.page_width, options.page_height = 21.0, 29.7
            options.background = True
            pdf = target / "threat.pdf"
            pdf.write_bytes(base64.b64decode(driver.print_page(options)))
            written.append(pdf)
    return written


def _latest_outputs() -> Path:
    found = sorted(Path("outputs").glob("*/index.html"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise CspError("no assessment in outputs/*/ (run `make assessment` first)")
    return found[-1].parent


def main(argv: list[str] | None = None) -> int:
    """``python -m csplib.present.browser {check,screenshots} [FOLDER]``.

    ``check`` prints each page's problems and returns 1 when there are any; ``screenshots``
    writes :func:`screenshots`. FOLDER defaults to the newest ``outputs/<year>/``.
    """
    parser = argparse.ArgumentParser(prog="python -m csplib.present.browser")
    parser.add_argument("action", choices=("check", "screenshots"))
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--no-axe", action="store_true", help="skip the axe-core check")
    parser.add_argument("--json", type=Path, help="also write the problems as JSON here")
    args = parser.parse_args(argv)
    try:
        folder = args.folder or _latest_outputs()
        if not (folder / "index.html").exists():
            raise CspError(f"{folder}: no index.html (is it an assessment's output folder?)")
        if args.action == "screenshots":
            for path in screenshots(folder):
                print(path)
            return 0
        result = check_pages(shared_pages(folder), root=folder, axe=not args.no_axe)
    except CspError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for page, problems in result.items():
        print(f"{page}: {len(problems)} problem(s)")
        for p in problems:
            print(f"  {p.width} px  {p.kind}: {p.detail}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {k: [asdict(p) for p in v] for k, v in result.items()}, indent=1, ensure_ascii=False
            )
        )
    return 1 if any(result.values()) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
