"""Grading whole submissions: the verdict is decided where student code cannot reach.

Every submission is read once, before anything runs, then run in its own
temporary folder (`sandbox.Box`) by its own process under resource limits: a
Jupyter kernel for notebooks (their `check(...)` cells skipped, then one probe
cell per exercise), `worker` for modules. That process only *probes* the
answers (`core.collect`) and sends back data (`wire`) framed by a random nonce;
this process, which never imports student code, decides the verdict
(`core.verdict`) with a fresh random seed per submission. Time limits are
enforced from here: a process that overruns is killed and the remaining
exercises go on in a fresh one; everything a submission started is killed
before its row is added (`sandbox.Reaper`). This defends the grade against the
student's code, not against an attacker with the grader's user id (see
`docs/grading.md`).
"""

import ast
import csv
import dataclasses
import io
import json
import math
import os
import pathlib
import re
import secrets
import subprocess
import tempfile
import time
import unicodedata

from secuah_dl._validation import check_positive_float
from secuah_dl.grading import core, wire
from secuah_dl.grading.exercises import get_exercise, list_exercises
from secuah_dl.grading.sandbox import Box, Kernel, Limits, LineReader, Reaper

__all__ = [
    "GradeReport",
    "Limits",
    "SubmissionGrade",
    "check_output_path",
    "exercises_for",
    "grade",
]

# In a notebook's JSON the quotes are escaped: check(\"id\", f).
_CHECK_CALL = re.compile(r"""check\(\s*\\?["']([A-Za-z_][A-Za-z0-9_]*)\\?["']""")
_STARTUP = 120.0  # seconds for Python/Jupyter to start: not the student's time
_MAX_KERNELS = 4  # kernel starts per notebook (one, plus restarts after kills)
_MAX_SUBMISSION = 128 * 2**20  # bytes
_MAX_LINE = 16 * 2**20  # longest payload line read from a worker (as a kernel message)
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)")


def _clean(text, limit=300):
    """Student-controlled text made safe for a table: one line, printable, short."""
    text = _ANSI.sub("", str(text))
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Cs", "Co")
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclasses.dataclass
class SubmissionGrade:
    """The grade of one submission.

    Attributes:
        student: str. The submission's file stem (printable, at most 120
            characters).
        path: str. The submission file.
        scores: dict of str -> float. Points per exercise (0 when missing).
        points: dict of str -> float. Points available per exercise.
        feedback: dict of str -> list of str. Message and hints per exercise.
        status: str. `"ok"`, `"timeout"` (the whole submission ran out of
            time) or `"error: ..."`.
        seed: int or None. The seed the answers were probed with.
    """

    student: str
    path: str
    scores: dict
    points: dict
    feedback: dict
    status: str = "ok"
    seed: int = None

    @property
    def total(self):
        """float. Points obtained."""
        return round(sum(self.scores.values()), 4)

    @property
    def maximum(self):
        """float. Points available."""
        return sum(self.points.values())


def _write_atomically(path, text):
    """Writes `text` to `path` through a temporary file and `os.replace`."""
    path = pathlib.Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w",
        encoding="utf-8",
        newline="",
        dir=path.absolute().parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        pathlib.Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def _csv_cell(value):
    # A student's file name must not become a spreadsheet formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
        return list(dict.fromkeys(i for g in self.grades for i in g.points))

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
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in [header, *rows]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def as_dict(self):
        """The report as a JSON-serialisable dict.

        Returns:
            dict with `exercises` and `students` (scores, points, feedback,
            total, status and seed per student).
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
                    "seed": g.seed,
                }
                for g in self.grades
            ],
        }

    def to_json(self, path):
        """Writes the report as JSON, atomically (a complete file or none).

        Args:
            path: str or path-like. Target file.

        Returns:
            `pathlib.Path` of the file.

        Raises:
            OSError: if the file cannot be written (the old one is kept).
        """
        text = json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"
        return _write_atomically(path, text)

    def to_csv(self, path):
        """Writes one row per student (scores per exercise, total, status), atomically.

        Args:
            path: str or path-like. Target file.

        Returns:
            `pathlib.Path` of the file.

        Raises:
            OSError: if the file cannot be written (the old one is kept).
        """
        ids = self.exercise_ids()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["student", *ids, "total", "maximum", "status"])
        for g in self.grades:
            row = [g.student, *(g.scores.get(i, "") for i in ids)]
            writer.writerow(
                [_csv_cell(v) for v in [*row, g.total, g.maximum, g.status]]
            )
        return _write_atomically(path, buffer.getvalue())


def check_output_path(path, *, option="path"):
    """Fails at once if a report could not be written to `path`.

    Called before grading starts, so a typo in `--json` costs nothing.

    Args:
        path: str or path-like. Where a report will be written.
        option: str. The option's name, for the message. Defaults to
            `"path"`.

    Returns:
        `pathlib.Path` of `path`.

    Raises:
        ValueError: if `path` is a folder, its folder does not exist, or a
            file cannot be created there.
    """
    path = pathlib.Path(path)
    folder = path.absolute().parent
    if path.is_dir():
        raise ValueError(
            f"`{option}` must name a file, not a folder. Received: {option}={path}"
        )
    if not folder.is_dir():
        raise ValueError(
            f"`{option}` must be in an existing folder; {folder} does not exist. "
            f"Received: {option}={path}"
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ValueError(
            f"`{option}`: cannot write in {folder} ({error.strerror or error}). "
            f"Received: {option}={path}"
        ) from None
    return path


def exercises_for(path, text=None):
    """The exercises a submission is graded on.

    The exercises of the workbook its file name contains
    (`ana_01_clasificador_2d (1).ipynb` -> `01_clasificador_2d.ipynb`), and
    only those: a student cannot add exercises to their own grade. A file
    named after no workbook gets the exercises it calls `check("id", ...)`
    on (a module: whose id it mentions).

    Args:
        path: str or path-like. The submission.
        text: str or None. Its content, if already read. Defaults to reading
            `path`.

    Returns:
        list of `Exercise`.

    Raises:
        ValueError: if no exercise applies to the file.
    """
    path = pathlib.Path(path)
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace")
    known = list_exercises()
    stem = path.stem.casefold()
    chosen = [e for e in known if pathlib.PurePath(e.workbook).stem.casefold() in stem]
    if not chosen:
        mentioned = set(_CHECK_CALL.findall(text))
        if path.suffix.lower() == ".py":
            mentioned |= {e.id for e in known if re.search(rf"\b{e.id}\b", text)}
        chosen = [e for e in known if e.id in mentioned]
    if not chosen:
        raise ValueError(
            f"No exercise applies to {path.name}: name it after a workbook "
            f"({', '.join(sorted({e.workbook for e in known}))}) or call "
            f"check('id', ...) in it. Received: {path}"
        )
    return chosen


def _error(message):
    return {"status": "error", "message": message}


def _decode(text):
    """A probe's payload as sent, or an error if it is damaged."""
    try:
        collected = wire.loads(text)
    except (wire.WireError, UnicodeError, ValueError):
        collected = None
    if not isinstance(collected, dict) or not isinstance(collected.get("status"), str):
        return _error("La respuesta llegó incompleta o dañada.")
    return collected


@dataclasses.dataclass
class _Run:
    """What grading one submission needs: its box, nonce, seed and clock."""

    box: Box
    reaper: Reaper
    nonce: str
    seed: int
    per_exercise: float
    deadline: float  # time.monotonic() at which the whole submission stops

    def until(self, seconds):
        return min(self.deadline, time.monotonic() + seconds)

    def out_of_time(self):
        return time.monotonic() >= self.deadline

    def overrun(self):
        if self.out_of_time():
            return "se superó el tiempo total"
        return f"se superó el tiempo límite ({self.per_exercise:g} s)"


# --- modules -------------------------------------------------------------


def _module_attempt(run, pending, results):
    """One worker process: moves what it finishes from `pending` to `results`.

    Returns True when a fresh worker should take the rest.
    """
    with open(run.box.log, "ab") as log:
        process = subprocess.Popen(
            run.box.worker_command("module"),
            cwd=run.box.work,
            env=run.box.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    reader = LineReader(process.stdout, _MAX_LINE)

    def wait_for(tag, seconds):
        until = run.until(seconds)
        while (line := reader.readline(until)) is not None:
            parsed = wire.unframe(line, run.nonce)
            if parsed and parsed[0] == tag:  # other tags: forged or stale
                return parsed[1]
        return None

    def why():
        if not reader.closed:
            return run.overrun()
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            return f"el proceso terminó por la señal {-code}"
        return f"el proceso terminó (código {code})"

    def fail_all(message):
        for exercise in pending:
            results[exercise.id] = _error(message)
        pending.clear()

    job = {"nonce": run.nonce, "seed": run.seed, "exercises": [e.id for e in pending]}
    try:
        try:
            process.stdin.write(json.dumps(job).encode() + b"\n")
            process.stdin.close()
        except OSError:
            pass
        if wait_for("ready", _STARTUP) is None:
            fail_all(f"No se pudo arrancar el proceso de la entrega ({why()}).")
            return False
        text = wait_for("imported", run.per_exercise)
        imported = _decode(text) if text is not None else _error(why())
        if imported["status"] != "ok":
            fail_all(f"El módulo falla al importarse ({imported.get('message', '')}).")
            return False
        for exercise in list(pending):
            text = wait_for(exercise.id, run.per_exercise)
            pending.remove(exercise)
            if text is None:  # killed below; the rest go to a fresh worker
                results[exercise.id] = _error(f"Sin resultado: {why()}.")
                return True
            results[exercise.id] = _decode(text)
        return False
    finally:
        run.reaper.kill_group(process.pid)
        process.kill()
        process.wait()
        reader.close()
        process.stdout.close()
        run.reaper.sweep()


def _run_module(run, exercises):
    results, pending = {}, list(exercises)
    while pending and not run.out_of_time():
        if not _module_attempt(run, pending, results):
            break
    return results, None


# --- notebooks -----------------------------------------------------------


def _only_checks(source):
    """Whether a cell holds nothing but `check(...)` calls."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, or a broken cell
        return False
    return bool(tree.body) and all(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "check"
        for node in tree.body
    )


class _Notebook:
    """Runs a notebook's cells, restarting (and replaying) after a kill."""

    def __init__(self, run, cells, exercise_ids=()):
        self.run, self.cells = run, cells
        self.exercise_ids = list(exercise_ids)
        self.kernel, self.ran, self.starts = None, 0, 0
        self.skipped = set()  # cells that hung or killed their kernel
        self.problem = None

    def _ready(self):
        """A kernel that ran every cell but the skipped ones (False if none)."""
        while self.kernel is None or self.ran < len(self.cells):
            if self.run.out_of_time():
                return False
            if self.kernel is None:
                if self.starts >= _MAX_KERNELS:
                    self.problem = "el cuaderno detuvo el núcleo demasiadas veces"
                    return False
                self.starts += 1
                try:
                    self.kernel, self.ran = Kernel(self.run.box, _STARTUP), 0
                except Exception as error:  # noqa: BLE001
                    self.problem = f"el núcleo de Jupyter no arrancó ({error})"
                    self.run.reaper.sweep()
                    return False
                # What the probes import (Keras, the package's modules) is
                # loaded now, on the start-up budget, not on the student's.
                self.kernel.run(
                    "__import__('secuah_dl.grading.worker', fromlist=['_']).prepare("
                    f"{self.exercise_ids!r})",
                    _STARTUP,
                    self.run.deadline,
                )
                continue  # a notebook may have no code cells at all
            if self.ran in self.skipped:
                self.ran += 1
                continue
            state, _ = self._cell(self.cells[self.ran])
            if state in ("lost", "died"):
                self.skipped.add(self.ran)
            else:
                self.ran += 1
        return True

    def _cell(self, code):
        state, found = self.kernel.run(code, self.run.per_exercise, self.run.deadline)
        if state in ("lost", "died"):
            self.close()
        return state, found

    def probe(self, code):
        """Runs a probe cell: `(state, payloads)`; state `"unavailable"` if no kernel."""
        if not self._ready():
            return "unavailable", []
        return self._cell(code)

    def close(self):
        if self.kernel is not None:
            self.kernel.close()
            self.kernel = None
            self.run.reaper.sweep()


def _run_notebook(run, exercises):
    import nbformat

    try:
        notebook = nbformat.reads(
            run.box.submission.read_text(encoding="utf-8"), as_version=4
        )
        cells = [
            cell.source
            for cell in notebook.cells
            if cell.cell_type == "code" and not _only_checks(cell.source)
        ]
    except nbformat.reader.NotJSONError:  # nbformat's message is English and long
        raise _Unreadable(
            "el cuaderno no se puede leer: no es JSON válido "
            "(¿vacío o cortado al descargarlo?)"
        ) from None
    except Exception as error:  # noqa: BLE001 - not a notebook
        raise _Unreadable(f"el cuaderno no se puede leer ({error})") from None
    runner = _Notebook(run, cells, [e.id for e in exercises])
    results = {}
    try:
        for exercise in exercises:
            state, found = runner.probe(
                "__import__('secuah_dl.grading.worker', fromlist=['_']).probe_answer("
                f"globals(), {exercise.id!r}, {run.seed}, {run.nonce!r})"
            )
            payloads = (wire.unframe(text.strip(), run.nonce) for text in found)
            texts = {p[1] for p in payloads if p and p[0] == exercise.id}
            if len(texts) == 1:
                results[exercise.id] = _decode(texts.pop())
            elif texts:
                results[exercise.id] = _error("La comprobación dio varias respuestas.")
            elif state == "unavailable":
                if runner.problem:
                    results[exercise.id] = _error(f"Sin resultado: {runner.problem}.")
            elif state == "died" and not run.out_of_time():
                results[exercise.id] = _error(
                    "Sin resultado: el núcleo de Jupyter se cerró al comprobarla "
                    "(¿os._exit(), os.kill() o falta de memoria?)."
                )
            elif state in ("interrupted", "lost", "died"):
                results[exercise.id] = _error(f"Sin resultado: {run.overrun()}.")
            else:
                results[exercise.id] = _error(
                    "Sin resultado: la comprobación no devolvió nada "
                    "(¿se redefinió la salida del cuaderno?)."
                )
    finally:
        runner.close()
    return results, runner.problem


class _Unreadable(Exception):
    """The submission cannot be read as a notebook."""


# --- one submission, a batch -----------------------------------------------


def _grade_one(path, content, exercises, settings, keep_dir, reaper):
    suffix = path.suffix.lower()
    seed, nonce = secrets.randbelow(2**31), secrets.token_hex(16)
    deadline = time.monotonic() + settings["total"]
    status, results, box = "ok", {}, None
    try:
        box = Box(content, suffix, settings["limits"])
        run = _Run(box, reaper, nonce, seed, settings["exercise"], deadline)
        grade_in = _run_notebook if suffix == ".ipynb" else _run_module
        results, problem = grade_in(run, exercises)
        if run.out_of_time():
            status = "timeout"
        elif problem:
            status = f"error: {problem}"
    except _Unreadable as error:
        status = f"error: {error}"
    except OSError as error:  # e.g. a full disk while preparing the folder
        status = f"error: no se pudo preparar la entrega ({error.strerror or error})"
    finally:
        reaper.sweep()  # nothing the submission started outlives its row
        if box is not None and not keep_dir:
            try:
                box.remove()
            except OSError:
                pass
    scores, points, feedback = {}, {}, {}
    for exercise in exercises:
        collected = results.get(exercise.id)
        if collected is None:
            collected = _error(
                "Sin resultado: se superó el tiempo total."
                if status == "timeout"
                else "Sin resultado: la entrega no llegó a comprobarse."
            )
        # The verdict is decided here: the judge runs in this process on
        # the data the probe collected.
        result = core.verdict(exercise, collected, seed)
        points[exercise.id] = exercise.points
        score = float(result.score) if math.isfinite(result.score) else 0.0
        scores[exercise.id] = min(max(score, 0.0), float(exercise.points))
        notes = ([result.message] if result.message else []) + result.hints
        feedback[exercise.id] = [_clean(note, 500) for note in notes[:10]]
    student = _clean(path.stem, 120) or "?"
    return SubmissionGrade(
        student, str(path), scores, points, feedback, _clean(status, 200), seed
    )


def _failed(path, reason):
    return SubmissionGrade(
        _clean(path.stem, 120) or "?",
        str(path),
        {},
        {},
        {},
        _clean(f"error: {reason}", 200),
    )


def _read_submissions(paths):
    """Reads every submission before anything runs (nothing can change them later)."""
    submissions, seen = [], set()
    for path in paths:
        path = pathlib.Path(path)
        if path.suffix.lower() not in (".ipynb", ".py") or not path.is_file():
            raise ValueError(
                f"Submissions must be existing .ipynb or .py files. Received: {path}"
            )
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            with path.open("rb") as handle:
                content = handle.read(_MAX_SUBMISSION + 1)
        except OSError as error:
            raise ValueError(
                f"Cannot read the submission {path} ({error.strerror or error}). "
                f"Received: {path}"
            ) from None
        submissions.append((path, content))
    return submissions


def grade(
    paths,
    *,
    exercises=None,
    timeout_per_exercise=300,
    timeout_total=1800,
    keep_dirs=False,
    limits=None,
    progress=None,
):
    """Grades notebooks and modules, each in its own process and folder.

    Every file is read before grading starts; a submission that cannot be
    graded (unknown workbook, unreadable, too large, a full disk while
    preparing it) gets a row with `status` `"error: ..."` and the others go
    on. Call it from a process that starts no other child processes
    meanwhile (see `sandbox.Reaper`).

    Args:
        paths: list of str or path-like. Submissions (`.ipynb` or `.py`).
        exercises: list of str or None. Exercise ids to grade; `None` picks
            them per file with `exercises_for()`.
        timeout_per_exercise: float. Seconds per notebook cell and per
            exercise of a module (fractions allowed). Defaults to `300`.
        timeout_total: float. Seconds for a whole submission. Defaults to
            `1800`.
        keep_dirs: bool. Keep the temporary folders (for debugging).
            Defaults to `False`.
        limits: `Limits` or None. Resource limits of the student's
            processes. Defaults to `Limits()`.
        progress: callable or None. Called with the `GradeReport` so far
            after each submission (the command line writes its files then,
            so a batch stopped midway keeps what was graded). Defaults to
            `None`.

    Returns:
        A `GradeReport`.

    Raises:
        ValueError: if a path is not an existing `.ipynb`/`.py` file, an
            exercise id is unknown or a time limit is not positive.
    """
    settings = {
        "exercise": check_positive_float("timeout_per_exercise", timeout_per_exercise),
        "total": check_positive_float("timeout_total", timeout_total),
        "limits": limits or Limits(),
    }
    submissions = _read_submissions(paths)
    chosen = [get_exercise(i) for i in exercises] if exercises else None
    report = GradeReport([])
    with Reaper() as reaper:
        for path, content in submissions:
            report.grades.append(
                _grade_or_fail(path, content, chosen, settings, keep_dirs, reaper)
            )
            if progress is not None:
                progress(report)
    return report


def _grade_or_fail(path, content, chosen, settings, keep_dir, reaper):
    """One row of the report, whatever the submission does."""
    if len(content) > _MAX_SUBMISSION:
        return _failed(path, "el archivo es demasiado grande")
    try:
        applies = chosen or exercises_for(path, content.decode("utf-8", "replace"))
    except ValueError:
        return _failed(path, "no se sabe qué ejercicios corregir (nombre del archivo)")
    try:
        return _grade_one(path, content, applies, settings, keep_dir, reaper)
    except Exception as error:  # noqa: BLE001 - one submission never costs the batch
        reaper.sweep()
        return _failed(path, f"{type(error).__name__}: {error}")
