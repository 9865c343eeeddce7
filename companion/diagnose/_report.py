"""The report :func:`companion.diagnose` returns: a table of findings.

A :class:`Finding` names the layer, what the check saw, why it is a problem and the
fix; a :class:`Diagnosis` holds the findings and prints them as a plain-text table,
like :class:`companion.ShapeTrace`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

#: Check name -> the problem it reports, as the table's "problem" column shows it.
CHECKS = {
    "input-shape": "input array has the wrong shape",
    "no-time-axis": "recurrent layer receives no time axis",
    "time-axis-in-output": "time axis left in the output",
    "time-axis-in-targets": "targets have a time axis, the output has none",
    "target-shape": "targets do not match the output",
    "bidirectional-last-step": "final-step slice of a bidirectional sequence",
    "mask-dropped": "mask dropped",
    "stateful-batch": "stateful layer without a fixed batch size",
    "stateful-remainder": "samples do not split into whole stateful batches",
    "layer-input": "a layer cannot take the previous layer's output",
    "return-state-in-sequential": "state-returning layer inside Sequential",
    "merge-none-in-sequential": "merge_mode=None inside Sequential",
}

_WIDTH = 88


@dataclass(frozen=True)
class Finding:
    """One problem :func:`companion.diagnose` found.

    Attributes
    ----------
    check : str
        Which check found it, one of the keys of ``CHECKS`` (``"time-axis-in-output"``).
    layer : str
        The layer to change, as ``'name' (Class)``, or ``layer 2 (LSTM)`` for a stack
        spec, or ``x`` / ``y`` for the data.
    saw : str
        What the check saw: shapes, settings.
    why : str
        Why it is a problem: the error Keras raises, or the silent wrong result.
    fix : str
        What to change.
    keras : tuple of (str, str)
        What the finding says Keras does at run time, as ``(call, outcome)`` pairs such
        as ``("fit", "raises")`` or ``("predict", "runs")``; empty when the finding makes
        no claim about a call. The tests run each call and compare.
    """

    check: str
    layer: str
    saw: str
    why: str
    fix: str
    keras: tuple[tuple[str, str], ...] = ()

    @property
    def problem(self) -> str:
        """The short description of the check, as the table shows it."""
        return CHECKS[self.check]


@dataclass(frozen=True, repr=False)
class Diagnosis:
    """What :func:`companion.diagnose` found: ``ok`` and a list of findings.

    Printing it, or ending a notebook cell with it, shows a table with one row per
    finding, then each finding's details. ``checked`` says what was looked at.

    Examples
    --------
    >>> Diagnosis((), checked="model (2 layers)")
    Checked: model (2 layers)
    No problems found.
    """

    findings: tuple[Finding, ...]
    checked: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def checks(self) -> tuple[str, ...]:
        """The check name of every finding, in order (``("mask-dropped",)``)."""
        return tuple(finding.check for finding in self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __getitem__(self, index: int) -> Finding:
        return self.findings[index]

    def __str__(self) -> str:
        lines = [f"Checked: {self.checked}"] if self.checked else []
        if self.ok:
            return "\n".join([*lines, "No problems found."])
        header = ("#", "layer", "problem")
        body = [(str(i), f.layer, f.problem) for i, f in enumerate(self.findings, start=1)]
        widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(3)]

        def row(cells: tuple[str, str, str]) -> str:
            return (f"{cells[0]:>{widths[0]}}  {cells[1]:<{widths[1]}}  "
                    f"{cells[2]}").rstrip()

        rule = "-" * len(row(header))
        lines += [row(header), rule, *(row(cells) for cells in body), rule]
        count = len(self.findings)
        lines.append(f"{count} problem{'s' if count > 1 else ''} found.")
        for index, finding in enumerate(self.findings, start=1):
            lines.append("")
            lines.append(f"{index}. {finding.layer}: {finding.problem}")
            for label in ("saw", "why", "fix"):
                lines.append(textwrap.fill(
                    getattr(finding, label), width=_WIDTH, initial_indent=f"   {label}: ",
                    subsequent_indent=" " * 8, break_on_hyphens=False,
                    break_long_words=False))
        return "\n".join(lines)

    __repr__ = __str__
