"""What learners touch is JupyterLab: a notebook run in it, in headless Chromium, as a learner would.

JupyterLab is started the way `make lab` starts it (`python -m multistage lab`), and driven by
Playwright through Debian's `chromium` (no browser download). The notebook files are restored
afterwards: JupyterLab saves what it ran.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from playwright.sync_api import sync_playwright

from multistage.cache import write_atomically
from multistage.engine import apt_install, can_start_engine_here
from multistage.progress import quiet
from multistage.runner import NOTEBOOKS

pytestmark = pytest.mark.slow

NOTEBOOK = "02-go-example.ipynb"
RUN_SECONDS = 900


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if path is None and can_start_engine_here():
        # Debian's browser, installed the way the project installs the engine: by the project.
        apt_install(["chromium"], say=quiet)
        path = shutil.which("chromium")
    if path is None:
        message = (
            "Debian's chromium is not installed (apt-get install chromium) and this user cannot install it"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser test must run, but: {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab as `make lab` starts it on a participant's first launch: its URL with the token, and its log."""
    home = tmp_path_factory.mktemp("lab")
    log = open(home / "lab.log", "w")  # a file, not a pipe: a pipe nobody reads would block the server
    process = subprocess.Popen(
        [sys.executable, "-m", "multistage", "lab"],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # No workspace saved yet (an earlier session's open tabs would be restored otherwise).
        env=dict(os.environ, JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces")),
    )
    url = None
    deadline = time.monotonic() + 120
    while url is None and time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+/lab\S*\?token=\w+)", (home / "lab.log").read_text())
        if found:
            url = found[1]
        else:
            time.sleep(0.5)
    try:
        if url is None:
            pytest.fail("JupyterLab printed no URL within 120 s:\n" + (home / "lab.log").read_text()[-2000:])
        yield url, home / "lab.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _cells_run_elsewhere(page) -> int:
    """Code cells that ran or wait to run in the notebooks not in front."""
    prompts = page.locator(".jp-NotebookPanel.lm-mod-hidden .jp-CodeCell .jp-InputPrompt").all_text_contents()
    return sum(1 for text in prompts if text.strip() != "[ ]:")


def _what_the_page_shows(page, log) -> str:
    """For a failure message: open dialogs, the status bar, the server's last lines; a screenshot beside the log."""
    screenshot = log.with_name("failure.png")
    page.screenshot(path=str(screenshot), full_page=True)
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    status = page.locator("#jp-main-statusbar").all_inner_texts()
    kernel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName").all_inner_texts()
    tail = "\n".join(log.read_text().splitlines()[-25:])
    return (
        f"dialogs: {dialogs}\nkernel shown: {kernel}\nstatus bar: {status}\n"
        f"cells run in the notebooks behind it: {_cells_run_elsewhere(page)}\n"
        f"screenshot: {screenshot}\nJupyterLab's last lines:\n{tail}"
    )


def test_jupyterlab_opens_on_the_first_notebook_without_pop_ups_and_runs_a_notebook_clean(chromium, lab):
    url, lab_log = lab
    saved = {path: path.read_bytes() for path in NOTEBOOKS.glob("*.ipynb")}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            assert (
                "00-overview-and-benefits"
                in page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current").first.inner_text()
            )
            page.wait_for_timeout(5000)  # the news prompt, when enabled, comes a few seconds after start
            assert page.locator(".jp-Dialog").count() == 0, "no dialog on start"
            assert "official Jupyter news" not in page.content(), "no news prompt"

            page.locator(".jp-DirListing-item", has_text=NOTEBOOK).dblclick()  # as a learner opens it
            current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current", has_text=NOTEBOOK)
            current.wait_for(timeout=60_000)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
            prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")

            def none_started() -> bool:
                return prompts.first.text_content().strip() == "[ ]:"

            started = time.monotonic()
            for _ in range(2):
                # Into the notebook first, as a learner clicks before using a menu: Run All acts on the
                # notebook that last had the focus, which on a loaded machine can still be the first one
                # JupyterLab opened. Once more if nothing started: just after a kernel starts, JupyterLab
                # can take the focus and close an open menu (jupyterlab/jupyterlab#18457).
                panel.locator(".jp-Notebook .jp-Cell").first.click()
                page.locator(".lm-MenuBar-item", has_text="Run").click()
                page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
                clicked = time.monotonic()
                while none_started() and time.monotonic() - clicked < 60:
                    page.wait_for_timeout(1000)
                if not none_started() or _cells_run_elsewhere(page):
                    break
            assert not none_started(), (
                f"Run All started no cell of {NOTEBOOK}\n{_what_the_page_shows(page, lab_log)}"
            )
            while time.monotonic() - started < RUN_SECONDS:
                texts = prompts.all_text_contents()
                if texts and all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in texts):
                    break
                page.wait_for_timeout(2000)
            texts = prompts.all_text_contents()
            code_cells = sum(
                1 for c in nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4).cells if c.cell_type == "code"
            )
            assert len(texts) == code_cells, f"{len(texts)} code cells shown, {code_cells} in the notebook"
            assert all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in texts), (
                f"not every cell ran: {texts}\n{_what_the_page_shows(page, lab_log)}"
            )
            outputs = panel.locator(".jp-OutputArea-output")
            errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = [t for t in errors.all_text_contents() if "Traceback" in t or "Error" in t]
            assert not tracebacks, f"error output: {tracebacks[:1]}"
            assert panel.locator(".jp-OutputArea-output img").count() >= 2, "the charts rendered"
            finished = [t for t in outputs.all_text_contents() if t.startswith("✓")]
            assert finished and panel.locator(".jp-OutputArea-output progress").count() == 0, (
                "every progress display finished"
            )
            browser.close()
    finally:
        for path, content in saved.items():
            write_atomically(path, content)  # the other worker may be reading the notebooks
