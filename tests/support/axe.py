"""axe-core for the browser tests, put into a page once per document: a page checked again
after it changed in place (an error shown, another payment method chosen) keeps the axe it
has, as cypress-axe does (inject once, check many times). Sending and compiling axe's half
megabyte of script took longer than the check itself."""

from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import DEFAULT_OPTIONS
from axe_playwright_python.sync_playwright import Axe as _Axe


class Axe(_Axe):
    def run(self, page, context=None, options: dict | None = DEFAULT_OPTIONS) -> AxeResults:
        """axe's results for the page as it is now (its violations only, by default)."""
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe_script)
        args = self._format_script_args(context=context, options=options)
        return AxeResults(page.evaluate(f"axe.run({args}).then(results => results)"))
