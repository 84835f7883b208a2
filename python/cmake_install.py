"""Installs the qopt Python package for `cmake --install` (CMakeLists.txt).

    python3 cmake_install.py PREFIX [DESTDIR]

Copies python/qopt into the directory where PREFIX's Python modules go and
writes qopt/_paths.py with PREFIX/bin, where the installed tools are, so the
package finds qoptc and qopt-run without environment variables. The
directory: the entry of this interpreter's sys.path under PREFIX
(/usr/local/lib/python3.X/dist-packages for Debian's /usr/local), else
PREFIX/lib/python3/site-packages (put that on PYTHONPATH).
"""
import os
import shutil
import sys


def site_dir(prefix):
    # PREFIX/lib/python*/{site,dist}-packages on sys.path: /usr/local's for
    # --prefix /usr/local, /usr/lib/python3/dist-packages for /usr, but not
    # /usr/local/... for /usr nor ~/.local/... for $HOME.
    prefix = os.path.realpath(prefix)
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        rel = os.path.relpath(real, prefix).split(os.sep) if real else []
        if len(rel) == 3 and rel[0] == "lib" and rel[1].startswith("python") and \
                rel[2] in ("site-packages", "dist-packages"):
            return real
    return os.path.join(prefix, "lib", "python3", "site-packages")


def main():
    prefix = sys.argv[1]
    destdir = sys.argv[2] if len(sys.argv) > 2 else ""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qopt")
    target = destdir + os.path.join(site_dir(prefix), "qopt")
    os.makedirs(target, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if name.endswith(".py") and name != "_paths.py":
            shutil.copyfile(os.path.join(src, name), os.path.join(target, name))
            print(f"-- Installing: {os.path.join(target, name)}")
    with open(os.path.join(target, "_paths.py"), "w") as f:
        f.write("# Written by cmake --install (python/cmake_install.py).\n"
                f"BINDIR = {os.path.join(os.path.abspath(prefix), 'bin')!r}\n")
    print(f"-- Installing: {os.path.join(target, '_paths.py')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
