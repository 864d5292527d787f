from typing import Any

from test_teeth import CAUGHT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CAUGHT:
        caught = sum(CAUGHT.values())
        terminalreporter.write_line(
            f"teeth: the suite caught {caught} of {len(CAUGHT)} broken variants"
        )
