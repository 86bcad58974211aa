"""Argument parsing shared by every script (calibration, validation, reports, analysis)."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose refusal is one line naming the problem, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        sys.exit(2)
