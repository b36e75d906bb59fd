"""Packaging hook (everything else is in pyproject.toml): a wheel ships the checkout's
`scenarios/` folder (scenarios and sweeps) as package data, `simfl/scenarios/`, so
`simfl list` and `simfl run quickstart` work from an installed wheel. The files stay at
the top of the checkout, where `make demo`, the tests and editable installs read them
(`simfl.config.shipped` looks in the package first, then beside it)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


class BuildWithScenarios(build_py):
    """build_py, then copy scenarios/**/*.yaml into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's scenarios/ in place
        target = Path(self.build_lib) / "simfl" / "scenarios"
        for source in sorted(SCENARIOS.rglob("*.yaml")):
            destination = target / source.relative_to(SCENARIOS)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


setup(cmdclass={"build_py": BuildWithScenarios})
