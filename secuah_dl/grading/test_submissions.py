"""One test per (submission, exercise); see conftest.py in this folder."""

import pathlib

import pytest


def test_exercise(submission_case, graded):
    path, exercise_id = submission_case
    result = graded[pathlib.Path(path).resolve()]
    if exercise_id is None:
        pytest.fail(f"{path.name}: {result.status}", pytrace=False)
    score, points = result.scores[exercise_id], result.points[exercise_id]
    if score < points:
        hints = "\n".join(f"  - {h}" for h in result.feedback.get(exercise_id, []))
        pytest.fail(
            f"{exercise_id}: {score:g}/{points:g} puntos\n{hints}", pytrace=False
        )
