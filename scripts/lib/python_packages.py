"""The one-line report of missing Python packages that scripts/export-pipeline and
scripts/export-model print instead of a traceback (exit status 2)."""
import importlib.util
import sys

# Import name -> the name pip installs it under, where they differ.
PIP_NAMES = {"yaml": "pyyaml", "sklearn": "scikit-learn", "skl2onnx": "skl2onnx", "pyarrow": "pyarrow"}


def pip_name(module):
    root = module.split(".")[0]
    return PIP_NAMES.get(root, root)


def missing(modules):
    """The pip names of the modules in `modules` that cannot be imported, in order."""
    names = []
    for module in modules:
        if importlib.util.find_spec(module) is None and pip_name(module) not in names:
            names.append(pip_name(module))
    return names


def fail_missing(names):
    """Prints the missing-package line and exits with status 2."""
    print(f"error: missing Python package: pip install {' '.join(names)}", file=sys.stderr)
    sys.exit(2)


def require(modules):
    """Exits with the missing-package line unless every module in `modules` can be imported."""
    names = missing(modules)
    if names:
        fail_missing(names)
