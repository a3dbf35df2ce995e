"""The student's side of grading: runs in the submission's own process.

Started by `grader` inside a `sandbox.Box`; it applies the resource limits to
itself first, then either replaces itself with a Jupyter kernel (`worker
[limits] kernel -- CMD...`; the grader then sends one probe cell per exercise
calling `probe_answer`) or reads a job `{"nonce", "seed", "exercises"}` from
stdin, imports `entrega.py` and runs `core.collect` on each answer (`worker
[limits] module`). Only *data* goes back, as `wire` payloads framed by the
run's nonce, on a channel the grader reads: the kernel's IOPub messages or the
worker's original stdout (the student's prints go to stderr).
"""

import argparse
import contextlib
import importlib.util
import json
import os
import pathlib
import signal
import sys

_MISSING = object()


def _message(error):
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 400 else text[:400] + "…"


def _answer_of(namespace, *names):
    for name in names:
        if name in namespace:
            return namespace[name]
    return _MISSING


def _collect(exercise, answer, seed, names):
    from secuah_dl.grading import core

    if answer is _MISSING:
        return {
            "status": "not_answered",
            "message": f"La entrega no define `{'` ni `'.join(dict.fromkeys(names))}`.",
        }
    try:
        return core.collect(exercise, answer, seed)
    except SystemExit:
        return {
            "status": "error",
            "message": "Tu respuesta llama a exit() o sys.exit(): devuelve el "
            "resultado con `return`.",
        }
    except BaseException as error:  # noqa: BLE001 - any other escape
        return {"status": "error", "message": _message(error)}


def _payload(collected):
    from secuah_dl.grading import wire

    try:
        return wire.dumps(collected)
    except wire.WireError as error:
        return wire.dumps(
            {
                "status": "error",
                "message": f"La respuesta devolvió datos que no se pueden enviar: {error}",
            }
        )


def prepare(exercise_ids):
    """Loads what the probes of these exercises need (not the student's time).

    Args:
        exercise_ids: list of str.
    """
    from secuah_dl.grading.core import prepare as prepare_exercises
    from secuah_dl.grading.exercises import get_exercise

    prepare_exercises([get_exercise(i) for i in exercise_ids])
    shell = sys.modules["IPython"].get_ipython() if "IPython" in sys.modules else None
    if shell is not None:
        # In Colab `exit()` ends the runtime; here it stops only its cell, as
        # sys.exit() does, so the cells and probes after it still run.
        shell.user_ns.update(exit=sys.exit, quit=sys.exit)


def probe_answer(namespace, exercise_id, seed, nonce):
    """Probes a notebook's answer and publishes the data (a probe cell).

    Args:
        namespace: dict. The notebook's globals.
        exercise_id: str. The exercise.
        seed: int. The submission's seed.
        nonce: str. The run's nonce.

    Returns:
        None. The payload is published as display data of type `wire.MIME`.
    """
    from IPython.display import publish_display_data

    from secuah_dl.grading import wire
    from secuah_dl.grading.exercises import get_exercise

    exercise = get_exercise(exercise_id)
    names = (exercise.answer, exercise.id)
    # What the answer prints is read by no one: a huge print would only
    # overflow the kernel's messages and lose the payload.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        with contextlib.redirect_stderr(sink):
            collected = _collect(exercise, _answer_of(namespace, *names), seed, names)
    text = _payload(collected)
    publish_display_data({wire.MIME: wire.frame(nonce, exercise_id, text)})


def _run_module(job, channel):
    from secuah_dl.grading import wire
    from secuah_dl.grading.exercises import get_exercise

    nonce, seed = job["nonce"], job["seed"]

    def send(tag, collected):
        data = wire.frame(nonce, tag, _payload(collected)).encode()
        while data:
            data = data[os.write(channel, data) :]

    exercises = [get_exercise(i) for i in job["exercises"]]
    prepare(job["exercises"])

    send("ready", {"status": "ok"})
    path = pathlib.Path("entrega.py").resolve()
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location("entrega", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["entrega"] = module
        spec.loader.exec_module(module)
    except BaseException as error:  # noqa: BLE001 - any failure of the import
        send("imported", {"status": "error", "message": _message(error)})
        return
    send("imported", {"status": "ok"})
    for exercise in exercises:
        names = (exercise.id, exercise.answer)
        answer = _answer_of(vars(module), *names)
        send(exercise.id, _collect(exercise, answer, seed, names))


def _shield():
    """Forks; the child goes on as the student's process, this one only waits.

    The student's `os.getppid()` then names this process, not the grader, so
    `os.kill(os.getppid(), signal.SIGKILL)` cannot stop a batch. The parent
    ignores interrupts (they are for the kernel) and ends as the child did.
    """
    if not hasattr(os, "fork"):
        return
    child = os.fork()
    if child == 0:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        os._exit(128 - code)
    os._exit(code)


def main(argv=None):
    """Entry point: `python -m secuah_dl.grading.worker [limits] MODE`.

    Args:
        argv: list of str or None. Arguments (defaults to `sys.argv[1:]`).

    Returns:
        int. Exit status.
    """
    from secuah_dl.grading.sandbox import Limits

    parser = argparse.ArgumentParser(prog="secuah_dl.grading.worker")
    parser.add_argument("--cpu-seconds", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--file-size-mb", type=int, default=0)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("mode", choices=("kernel", "module"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    Limits(args.cpu_seconds, args.memory_mb, args.file_size_mb, args.processes).apply()
    _shield()
    if args.mode == "kernel":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the kernel dies with it
        os.execv(command[0], command)
    job = json.loads(sys.stdin.readline())
    # The channel is a private copy of stdout; the student's prints (fd 1)
    # go to stderr, and nothing more is read from stdin.
    channel = os.dup(1)
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    _run_module(job, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
