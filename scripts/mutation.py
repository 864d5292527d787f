"""``tox -e mutation``: mutmut 3 over the modules ``[tool.mutmut]`` names, checks included.

mutmut 3 never mutates a decorated function: a decorator runs at import, and the copies it
makes of a function for its trampoline would run it again. Every check is declared with
``@contract_check(applies=...)``, which only wraps the function in a ``ContractCheck`` (no
registry, no side effect), so this wrapper lets mutmut mutate those functions too: their
bodies are mutated like any other, the decorator stays on the trampoline alone (the copies
mutmut switches between are plain functions) and its arguments are never mutated. Any other
decorator keeps mutmut's rule.

Every other argument is mutmut's own command line (``run``, ``results``, ``show``, ``apply``,
``browse``), run through the same patch so that names and diffs agree with the run. ``score``
prints the table of docs/test-strength.md from the results in ``mutants/``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Decorators that only wrap the function they are given: safe to leave on the trampoline.
WRAPPING_DECORATORS = frozenset({"contract_check"})
# mutmut's exit codes (mutmut.stats.status_by_exit_code) as the score counts them.
KILLED = frozenset({1, 3})
TIMED_OUT = frozenset({36, -24, 24, 152, 255})
NOT_KILLED = {0: "survived", 5: "no tests", 33: "no tests", 35: "suspicious"}


def _wrapping_only(function: Any) -> bool:
    """Whether every decorator of a libcst ``FunctionDef`` is a call of a wrapping decorator."""
    import libcst as cst

    decorators = [decorator.decorator for decorator in function.decorators]
    return bool(decorators) and all(
        isinstance(d, cst.Call)
        and isinstance(d.func, cst.Name)
        and d.func.value in WRAPPING_DECORATORS
        for d in decorators
    )


def patch_mutmut() -> None:
    """Let mutmut mutate functions whose only decorators are in ``WRAPPING_DECORATORS``."""
    from libcst.metadata import PositionProvider
    from mutmut.mutation import file_mutation

    visitor = file_mutation.MutationVisitor
    skip: Callable[[Any, Any], bool] = visitor._skip_node_and_children
    arrange: Callable[..., Any] = file_mutation.function_trampoline_arrangement

    def skip_node_and_children(self: Any, node: Any) -> bool:
        if type(node).__name__ == "FunctionDef" and _wrapping_only(node):
            # mutmut's other reason to skip a function: a ``# pragma: no mutate block``.
            position = self.get_metadata(PositionProvider, node, None)
            if position is not None and position.start.line in self._ignored_node_lines:
                return skip(self, node)
            return False
        return skip(self, node)

    def trampoline_arrangement(function: Any, *args: Any, **kwargs: Any) -> Any:
        if not _wrapping_only(function):
            return arrange(function, *args, **kwargs)
        declarations, nodes, assignments, names = arrange(
            function.with_changes(decorators=[]), *args, **kwargs
        )
        trampoline, *copies = nodes
        decorated = trampoline.with_changes(
            decorators=[*function.decorators, *trampoline.decorators]
        )
        return declarations, [decorated, *copies], assignments, names

    visitor._skip_node_and_children = skip_node_and_children
    file_mutation.function_trampoline_arrangement = trampoline_arrangement


def module_of(mutant: str) -> str:
    """``devtune_contract.masking.x_mask__mutmut_3`` is a mutant of ``masking.py``."""
    return mutant.rpartition(".")[0].removeprefix("devtune_contract.").replace(".", "/") + ".py"


def score_table(results: dict[str, int | None]) -> list[str]:
    """One Markdown row per module: mutmut's counts and (killed + timed out) / all."""
    by_module: dict[str, Counter[str]] = {}
    for mutant, code in sorted(results.items()):
        counts = by_module.setdefault(module_of(mutant), Counter())
        counts["all"] += 1
        if code in KILLED:
            counts["killed"] += 1
        elif code in TIMED_OUT:
            counts["timeout"] += 1
        else:
            counts[NOT_KILLED.get(code, "other") if code is not None else "not checked"] += 1
    columns = ["all", "killed", "timeout", "survived", "no tests", "suspicious"]
    rows = [
        "| module | " + " | ".join(columns) + " | score |",
        "|---" * (len(columns) + 2) + "|",
    ]
    for module, counts in sorted(by_module.items()):
        caught = counts["killed"] + counts["timeout"]
        cells = [str(counts[column]) for column in columns]
        rows.append(f"| `{module}` | " + " | ".join(cells) + f" | {caught / counts['all']:.1%} |")
    return rows


def results_in(mutants: Path) -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's ``.meta`` files."""
    found: dict[str, int | None] = {}
    for meta in mutants.rglob("*.py.meta"):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def main(argv: Sequence[str]) -> int:
    if list(argv[:1]) == ["score"]:
        results = results_in(ROOT / "mutants")
        if not results:
            print("no results in mutants/: run `tox -e mutation` first", file=sys.stderr)
            return 1
        print("\n".join(score_table(results)))
        return 0
    patch_mutmut()
    from mutmut.__main__ import cli

    cli.main(list(argv), prog_name="mutmut")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
