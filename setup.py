"""Package metadata for temvp, read from settings.ini (nbdev 2 layout) with configparser."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

licenses = {"apache2": "Apache-2.0"}  # SPDX expression (PEP 639), not a classifier
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable", "6 - Mature", "7 - Inactive"]
py_versions = ["3.11", "3.12", "3.13"]

lic = licenses[cfg["license"]]
min_python = cfg["min_python"]
requirements = cfg.get("requirements", "").split()
dev_requirements = cfg.get("dev_requirements", "").split()
# optional extras: every `extra_<name> = requirement ...` key of settings.ini; `all` is their union and `dev` adds
# the test tools to it (so `pip install -e ".[dev]"`, what .ci/setup runs, installs everything the tests need)
extras = {k[len("extra_"):]: v.split() for k, v in cfg.items() if k.startswith("extra_")}
extras["all"] = sorted({r for reqs in extras.values() for r in reqs})
extras["dev"] = extras["all"] + dev_requirements
readme = here / "README.md"

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=readme.read_text(encoding="utf-8") if readme.exists() else cfg["description"],
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license=lic,
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    classifiers=[
        "Development Status :: " + statuses[int(cfg["status"]) - 1],
        "Intended Audience :: " + cfg["audience"],
        "Natural Language :: " + cfg["language"],
        "Topic :: Scientific/Engineering :: Physics",
    ]
    + ["Programming Language :: Python :: " + v for v in py_versions[py_versions.index(min_python):]],
    # temvp/weights (the bundled model and its card) and temvp/data (the recipes) hold no Python: namespace packages
    packages=setuptools.find_namespace_packages(include=[cfg["lib_path"], cfg["lib_path"] + ".*"],
                                                exclude=["*.__pycache__"]),
    package_data={"temvp.weights": ["*.pt", "*.json"], "temvp.data": ["*.json"]},
    python_requires=">=" + min_python,
    install_requires=requirements,
    extras_require=extras,
    entry_points={"console_scripts": cfg.get("console_scripts", "").split()},
    zip_safe=False,
)
