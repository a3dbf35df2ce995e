"""Grading whole submissions: notebooks and modules, each in its own process.

```
secuah-dl grade entregas/*.ipynb --json notas.json --csv notas.csv
```

Every submission is copied into a fresh temporary folder and run there by a
separate process (a Jupyter kernel for notebooks), with a time limit per
exercise (per notebook cell) and one for the whole submission. A submission
that raises, hangs or deletes the files around it only loses its own points.
This is isolation for honest mistakes, not a security sandbox: run untrusted
code in a container.

Notebooks report through `check()` calls in their cells. Modules (`.py`)
define one attribute per exercise, named as the exercise id (for example
`def tamano_salida(n, k, p, s): ...`).
"""

import dataclasses
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from secuah_dl.grading.exercises import list_exercises

GRADE_LOG_ENV = "SECUAH_DL_GRADE_LOG"

__all__ = ["SubmissionGrade", "GradeReport", "exercises_for", "grade"]

_CHECK_CALL = re.compile(r"""check\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


@dataclasses.dataclass
class SubmissionGrade:
    """The grade of one submission.

    Attributes:
        student: str. The submission's file stem.
        path: str. The submission file.
        scores: dict of str -> float. Points per exercise (0 when missing).
        points: dict of str -> float. Points available per exercise.
        feedback: dict of str -> list of str. Hints per exercise.
        status: str. `"ok"`, `"timeout"` or `"error: ..."`.
    """

    student: str
    path: str
    scores: dict
    points: dict
    feedback: dict
    status: str = "ok"

    @property
    def total(self):
        """float. Points obtained."""
        return round(sum(self.scores.values()), 4)

    @property
    def maximum(self):
        """float. Points available."""
        return sum(self.points.values())


@dataclasses.dataclass
class GradeReport:
    """Grades of several submissions, as a table, JSON or CSV.

    Attributes:
        grades: list of `SubmissionGrade`.
    """

    grades: list

    def exercise_ids(self):
        """The exercises in the report, in first-seen order.

        Returns:
            list of str.
        """
        ids = []
        for grade_ in self.grades:
            ids += [i for i in grade_.points if i not in ids]
        return ids

    def table(self):
        """A plain-text table: one row per student, one column per exercise.

        Returns:
            str.
        """
        ids = self.exercise_ids()
        header = ["estudiante", *ids, "total", "estado"]
        rows = [
            [
                g.student,
                *(
                    f"{g.scores.get(i, 0):g}/{g.points.get(i, 0):g}"
                    if i in g.points
                    else "-"
                    for i in ids
                ),
                f"{g.total:g}/{g.maximum:g}",
                g.status,
            ]
            for g in self.grades
        ]
        widths = [
            max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))
        ]
        lines = [
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths))
            for row in [header, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def as_dict(self):
        """The report as a JSON-serialisable dict.

        Returns:
            dict with `exercises` and `students` (scores, points, feedback,
            total, status per student).
        """
        return {
            "exercises": self.exercise_ids(),
            "students": [
                {
                    "student": g.student,
                    "path": g.path,
                    "scores": g.scores,
                    "points": g.points,
                    "feedback": g.feedback,
                    "total": g.total,
                    "maximum": g.maximum,
                    "status": g.status,
                }
                for g in self.grades
            ],
        }

    def to_json(self, path):
        """Writes the report as JSON.

        Args:
            path: str or path-like. Target file.

        Returns:
            `pathlib.Path` of the file.
        """
        path = pathlib.Path(path)
        path.write_text(
            json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        return path

    def to_csv(self, path):
        """Writes one row per student (scores per exercise, total, status).

        Args:
            path: str or path-like. Target file.

        Returns:
            `pathlib.Path` of the file.
        """
        import csv

        path = pathlib.Path(path)
        ids = self.exercise_ids()
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *ids, "total", "maximum", "status"])
            for g in self.grades:
                writer.writerow(
                    [
                        g.student,
                        *(g.scores.get(i, "") for i in ids),
                        g.total,
                        g.maximum,
                        g.status,
                    ]
                )
        return path


def exercises_for(path):
    """The exercises a submission is graded on.

    For a notebook: the exercises of the workbook its file name ends with
    (`ana_01_clasificador_2d.ipynb` -> `01_clasificador_2d.ipynb`), plus any
    exercise it calls `check("id", ...)` on. For a module: the exercises whose
    id it mentions.

    Args:
        path: str or path-like. The submission.

    Returns:
        list of `Exercise`.

    Raises:
        ValueError: if no exercise applies to the file.
    """
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    known = list_exercises()
    chosen = [e for e in known if path.name.endswith(e.workbook)]
    mentioned = set(_CHECK_CALL.findall(text))
    if path.suffix == ".py":
        mentioned |= {e.id for e in known if re.search(rf"\b{e.id}\b", text)}
    chosen += [e for e in known if e.id in mentioned and e not in chosen]
    if not chosen:
        raise ValueError(
            f"No exercise applies to {path.name}: name it after a workbook "
            f"({', '.join(sorted({e.workbook for e in known}))}) or call check('id', ...) in it. "
            f"Received: {path}"
        )
    return chosen


def _read_log(log):
    results = {}
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "exercise" in record:
                results[record["exercise"]] = record
    return results


def _grade_one(path, exercises, *, timeout_per_exercise, timeout_total, keep_dir):
    path = pathlib.Path(path).resolve()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"grade-{path.stem}-"))
    copy = workdir / path.name
    shutil.copy(path, copy)
    log = workdir.parent / f"{workdir.name}.jsonl"
    env = dict(os.environ)
    env[GRADE_LOG_ENV] = str(log)
    env.setdefault("SECUAH_DL_QUICK", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.pop("MPLBACKEND", None)
    command = [
        sys.executable,
        "-m",
        "secuah_dl.grading.worker",
        str(copy),
        "--timeout",
        str(timeout_per_exercise),
        "--exercises",
        ",".join(e.id for e in exercises),
    ]
    status = "ok"
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_total)
        if process.returncode:
            status = f"error: {output.strip().splitlines()[-1] if output.strip() else process.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the kernel too
        process.communicate()
        status = "timeout"
    results = _read_log(log)
    log.unlink(missing_ok=True)
    if not keep_dir:
        shutil.rmtree(workdir, ignore_errors=True)
    scores, points, feedback = {}, {}, {}
    for exercise in exercises:
        record = results.get(exercise.id)
        points[exercise.id] = exercise.points
        scores[exercise.id] = float(record["score"]) if record else 0.0
        if record is None:
            feedback[exercise.id] = [
                "Sin resultado: la celda de comprobación no llegó a ejecutarse."
            ]
        else:
            feedback[exercise.id] = (
                [record["message"]] if record.get("message") else []
            ) + record.get("hints", [])
    return SubmissionGrade(path.stem, str(path), scores, points, feedback, status)


def grade(
    paths,
    *,
    exercises=None,
    timeout_per_exercise=300,
    timeout_total=1800,
    keep_dirs=False,
):
    """Grades notebooks and modules, each in its own process and folder.

    Args:
        paths: list of str or path-like. Submissions (`.ipynb` or `.py`).
        exercises: list of str or None. Exercise ids to grade; `None` picks
            them per file with `exercises_for()`.
        timeout_per_exercise: float. Seconds per notebook cell (or per
            exercise of a module). Defaults to `300`.
        timeout_total: float. Seconds for a whole submission. Defaults to
            `1800`.
        keep_dirs: bool. Keep the temporary folders (for debugging).
            Defaults to `False`.

    Returns:
        A `GradeReport`.

    Raises:
        ValueError: if a path is not a `.ipynb`/`.py` file or an exercise id
            is unknown.
    """
    from secuah_dl.grading.exercises import get_exercise

    grades = []
    for path in paths:
        path = pathlib.Path(path)
        if path.suffix not in (".ipynb", ".py") or not path.is_file():
            raise ValueError(
                f"Submissions must be existing .ipynb or .py files. Received: {path}"
            )
        chosen = (
            [get_exercise(i) for i in exercises] if exercises else exercises_for(path)
        )
        grades.append(
            _grade_one(
                path,
                chosen,
                timeout_per_exercise=timeout_per_exercise,
                timeout_total=timeout_total,
                keep_dir=keep_dirs,
            )
        )
    return GradeReport(grades)
