"""Wording shared by every message, table and plot: counts with their nouns, one-line texts."""
from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 sequence"``, ``"2 sequences"``; ``many`` where adding an s is wrong (``"boxes"``)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of white space as single spaces."""
    return " ".join(str(text).split())


def load_yaml(text: str):
    """``yaml.safe_load(text)`` parsed by libyaml's C parser where PyYAML has it: the same
    values (the constructor is the same Python code) in a tenth of the time (the shipped
    published numbers: ~300 ms pure Python, ~35 ms in C)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def yaml_problem(exc: Exception) -> str:
    """A YAML parser error in one line: ``"line 3, column 7: expected ',' or ']'"``."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if mark is None or not problem:
        return one_line(str(exc))
    return f"line {mark.line + 1}, column {mark.column + 1}: {one_line(problem)}"
