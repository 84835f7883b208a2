"""Writes qopt/_paths.py into the built package: where this checkout's qopt
tools are (build/bin beside python/), so that a pip-installed package finds
qoptc and qopt-run without environment variables. Everything else is in
pyproject.toml."""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPy(build_py):
    def run(self):
        super().run()
        bindir = os.path.abspath(os.path.join(HERE, "..", "build", "bin"))
        if not os.path.isfile(os.path.join(bindir, "qoptc")):
            raise SystemExit(f"qopt is not built ({bindir}/qoptc missing): run "
                             f"scripts/build.sh before installing the Python package")
        target = os.path.join(self.build_lib, "qopt", "_paths.py")
        with open(target, "w") as f:
            f.write("# Written when the package was installed (python/setup.py).\n"
                    f"BINDIR = {bindir!r}\n")


setup(cmdclass={"build_py": BuildPy})
