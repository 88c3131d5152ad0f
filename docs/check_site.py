"""Check the built site in a real browser: headless Chromium, as a reader would load it.

Serves ``docs/_build/html`` on 127.0.0.1, loads the home page, an API page, a
gallery page and a search, saves a screenshot of each under
``docs/_build/screenshots/``, and fails (exit status 1) on any console error
(a script error, a 404 for a page resource), any image that did not load, a
gallery page without its figure, a search that finds nothing, or two pages with
the same title in the search index (a reader cannot tell such results apart).

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``) and selenium (the ``docs`` extra). Build the site first:

    python -m sphinx -W -b html docs docs/_build/html && python docs/check_site.py
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import sys
import threading
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PAGES = {  # screenshot name -> (path, what must be on the page)
    "home": ("index.html", None),
    "api": ("api/evlearn.feast.layer.FEAST.html", "dl.py.class"),
    "gallery": ("auto_examples/feast_features.html", "img.sphx-glr-single-img, img.sphx-glr-multi-img"),
    "search": ("search.html?q=time+surface", "#search-results li"),
}
BROKEN_IMAGES = "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on stderr
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the browser closed the connection mid-response
            pass


def serve(root: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        raise SystemExit("check_site: needs chromium and chromedriver (apt-get install -y chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(condition, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def check_page(driver, url: str, required: str | None, screenshot: Path) -> list[str]:
    from selenium.webdriver.common.by import By

    driver.get(url)
    problems = []
    wait_for(lambda: driver.execute_script("return document.readyState") == "complete")
    if required and not wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, required)):
        problems.append(f"nothing matches {required!r}")
    elif required:  # the screenshot shows what the page is for: the figure, the class, the results
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                              driver.find_elements(By.CSS_SELECTOR, required)[0])
    wait_for(lambda: not driver.execute_script(BROKEN_IMAGES), timeout=5)
    problems += [f"image did not load: {src}" for src in driver.execute_script(BROKEN_IMAGES)]
    problems += [f"console {entry['level']}: {entry['message']}" for entry in driver.get_log("browser")
                 if entry["level"] == "SEVERE"]
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(screenshot))
    return problems


def duplicate_titles(html: Path) -> list[str]:
    """Page titles listed more than once in the search index (``searchindex.js``)."""
    text = (html / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    titles = [title for title in index["titles"]]
    return sorted({title for title in titles if titles.count(title) > 1})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=DOCS / "_build" / "html", help="the built site")
    parser.add_argument("--out", type=Path, default=DOCS / "_build" / "screenshots")
    parser.add_argument("--size", default="1280x900", help="window WIDTHxHEIGHT in pixels")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"check_site: no built site in {args.html}; build it first", file=sys.stderr)
        return 2
    width, height = map(int, args.size.split("x"))
    server = serve(args.html)
    driver = browser(width, height)
    failures = 0
    try:
        base = f"http://127.0.0.1:{server.server_port}/"
        for name, (path, required) in PAGES.items():
            problems = check_page(driver, base + path, required, args.out / f"{name}.png")
            failures += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '} {name}: {path}")
            for problem in problems:
                print(f"       {problem}")
    finally:
        driver.quit()
        server.shutdown()
    duplicates = duplicate_titles(args.html)
    failures += bool(duplicates)
    print(f"{'FAIL' if duplicates else 'ok  '} search index: {len(duplicates)} page title(s) listed twice")
    for title in duplicates:
        print(f"       {title!r}")
    print(f"screenshots in {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
