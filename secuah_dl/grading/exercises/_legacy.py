"""Transitional adapter for checkers written before the probe/judge split.

A legacy checker calls the answer *and* decides, so here the whole checker
runs as the probe (in the student's process) and the judge only reads its
cases back. Such a verdict can be forged by the student's process; every
exercise moves to a real probe/judge pair with its workbook's rewrite.
"""

from secuah_dl.grading.core import Case, Exercise


def legacy(id, workbook, statement, points, checker, *, answer, forbidden=()):
    """An `Exercise` whose probe runs an old-style `checker(answer) -> cases`."""

    def probe(student_answer, seed):
        return [
            {"name": c.name, "passed": c.passed, "hint": c.hint, "weight": c.weight}
            for c in checker(student_answer)
        ]

    def judge(data, seed):
        return [
            Case(item["name"], item["passed"], item["hint"], item["weight"])
            for item in data
        ]

    return Exercise(
        id, workbook, statement, points, answer, probe, judge, forbidden=forbidden
    )
