"""Packaging details pyproject.toml cannot say: the top-level templates/, static/ and
translations/ folders go into the wheel as portal/templates, portal/static and
portal/translations, and the Italian catalog is compiled (.mo) while building."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

#: package name in the wheel -> folder in the checkout
RESOURCES = {
    "portal.templates": "templates",
    "portal.static": "static",
    "portal.translations": "translations",
}


class BuildWithCatalogs(build_py):
    """build_py from a clean build/lib/portal (a file removed or renamed in the checkout,
    such as a migration, must not linger in the next wheel), then compile every
    translations/*/LC_MESSAGES/*.po next to its copy."""

    def run(self):
        shutil.rmtree(Path(self.build_lib) / "portal", ignore_errors=True)
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        target = Path(self.build_lib) / "portal" / "translations"
        for po_path in Path("translations").glob("*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[1])
            mo_path = target / po_path.relative_to("translations").with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(
    packages=[*find_packages(include=["portal", "portal.*"]), *RESOURCES],
    package_dir=dict(RESOURCES),
    package_data={
        "portal": ["migrations/*", "migrations/versions/*.py", "services/fiscal/*.xsd"],
        **{name: ["**/*"] for name in RESOURCES},
    },
    cmdclass={"build_py": BuildWithCatalogs},
)
