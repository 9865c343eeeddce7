"""Command line: ``python -m companion.benchmark --output companion/data/cost.json [--quick]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m companion.benchmark",
        description="Time LSTM, GRU and SimpleRNN with return_sequences True and False "
                    "and write the data file of the chapter 'What return_sequences costs'.")
    parser.add_argument("--output", type=Path, required=True,
                        help="JSON file to write, e.g. companion/data/cost.json")
    parser.add_argument("--quick", action="store_true",
                        help="small grid, few repeats (marked preliminary)")
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU even if present")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    from companion.benchmark.measure import write_data_file
    from companion.benchmark.runner import run_benchmark

    tf.get_logger().setLevel("ERROR")  # retracing notices: each configuration is new

    write_data_file(args.output, run_benchmark(
        quick=args.quick, gpu=False if args.no_gpu else None,
        progress=lambda line: print(line, flush=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
