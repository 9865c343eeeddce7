"""``python -m companion.diagnose path/to/model.keras``: diagnose a saved model.

Loads the file, prints :func:`companion.diagnose`'s report and exits with status 0
when no problem was found, 1 when one was, and 2 when the file cannot be loaded (the
reason is printed, without a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

#: Exit status: clean, problems found, file not loaded.
CLEAN, FOUND, UNLOADABLE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m companion.diagnose",
        description="Load a saved Keras model and report the error gallery's shape "
                    "mistakes in it. Exit status: 0 clean, 1 problems found, 2 the file "
                    "could not be loaded.")
    parser.add_argument("path", help="a model file written by model.save (.keras)")
    parser.add_argument("--unsafe", action="store_true",
                        help="load with safe_mode=False (runs Python lambdas stored in "
                             "the file: only for a file you trust)")
    args = parser.parse_args(argv)
    from companion.session import QUIET_ENVIRONMENT

    for name, value in QUIET_ENVIRONMENT.items():  # before TensorFlow is imported
        os.environ.setdefault(name, value)
    from companion.diagnose import diagnose_file
    from companion.diagnose._file import ModelFileError

    try:
        report = diagnose_file(args.path, safe_mode=not args.unsafe)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return UNLOADABLE
    print(report)
    return CLEAN if report.ok else FOUND


if __name__ == "__main__":
    sys.exit(main())
