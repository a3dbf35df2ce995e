"""Where a submission runs: a temporary folder, a clean environment, limits.

The grader (`grader`) uses these pieces; none of them runs student code:

- `Box`: a per-submission temporary folder holding the submission, a
  private `HOME`, a `TMPDIR`, and a copy of the installed `secuah_dl`
  package (so `secuah_dl.__file__` does not point at the instructor's
  checkout and its `tests/`), plus the clean environment the student's
  process gets (an allow-list: no instructor variables).
- `Limits`: the resource limits (`setrlimit`) a student's process starts
  with; `worker` applies them to itself before any student code runs.
- `Reaper`: makes the grader a child subreaper (Linux) so that helpers a
  submission detaches (`setsid`, double fork) come back to the grader as
  orphans, and kills every one of them before any result is written.
- `LineReader`: reads a pipe line by line with a deadline and a size cap.
- `Kernel`: a Jupyter kernel in the box, driven cell by cell with time
  limits enforced from outside (interrupt, then kill).

See `docs/grading.md` for what this defends and what it does not.
"""

import ctypes
import dataclasses
import os
import pathlib
import queue
import selectors
import shutil
import signal
import stat
import sys
import tempfile
import time

from secuah_dl.grading import wire

__all__ = ["Box", "Kernel", "Limits", "LineReader", "Reaper"]

# Variables a student's process may inherit: configuration, never secrets.
_ALLOWED_ENV = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "KERAS_BACKEND",
    "CUDA_VISIBLE_DEVICES",
    "LD_LIBRARY_PATH",
    "JAX_PLATFORMS",
    "OMP_NUM_THREADS",
    "SECUAH_DL_QUICK",
)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of a student's process (`resource.setrlimit`).

    Each limit applies to every process the submission starts (they are
    inherited). `0` or `None` leaves a limit as it is.

    Attributes:
        cpu_seconds: int. CPU time per process (all threads together).
            Defaults to `3600`.
        memory_mb: int. Writable private memory per process, in MiB
            (`RLIMIT_DATA` on Linux, `RLIMIT_AS` elsewhere). Defaults to
            `8192`.
        file_size_mb: int. Largest file a process may write, in MiB.
            Defaults to `1024`.
        processes: int. Processes and threads the submission may start on
            top of those the user already runs (`RLIMIT_NPROC` counts the
            whole user; it does not apply to root). Defaults to `512`.
    """

    cpu_seconds: int = 3600
    memory_mb: int = 8192
    file_size_mb: int = 1024
    processes: int = 512

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(
                    f"`{field.name}` must be a non-negative integer (0: no limit). "
                    f"Received: {field.name}={value!r}"
                )

    def as_args(self):
        """The worker's command-line options for these limits.

        Returns:
            list of str.
        """
        return [
            f"--cpu-seconds={self.cpu_seconds or 0}",
            f"--memory-mb={self.memory_mb or 0}",
            f"--file-size-mb={self.file_size_mb or 0}",
            f"--processes={self.processes or 0}",
        ]

    def apply(self):
        """Applies the limits to this process (and so to its children).

        Core dumps are always disabled.

        Returns:
            None.
        """
        import resource

        def limit(kind, soft, hard=None):
            hard = soft if hard is None else hard
            _, current = resource.getrlimit(kind)
            if current != resource.RLIM_INFINITY:
                soft, hard = min(soft, current), min(hard, current)
            try:
                resource.setrlimit(kind, (soft, hard))
            except (ValueError, OSError):  # e.g. RLIMIT_AS on macOS
                pass

        limit(resource.RLIMIT_CORE, 0)
        if self.cpu_seconds:
            # SIGXCPU at the soft limit, SIGKILL a little later.
            limit(resource.RLIMIT_CPU, self.cpu_seconds, self.cpu_seconds + 5)
        if self.memory_mb:
            kind = getattr(resource, "RLIMIT_DATA", resource.RLIMIT_AS)
            if not sys.platform.startswith("linux"):
                kind = resource.RLIMIT_AS
            limit(kind, self.memory_mb * 2**20)
        if self.file_size_mb:
            limit(resource.RLIMIT_FSIZE, self.file_size_mb * 2**20)
        if self.processes and hasattr(resource, "RLIMIT_NPROC"):
            limit(resource.RLIMIT_NPROC, _user_tasks() + self.processes)


def _user_tasks():
    """Processes and threads of this user now (what RLIMIT_NPROC counts)."""
    uid, count = os.getuid(), 0
    for entry in pathlib.Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1)
                for line in entry.read_text().splitlines()
                if ":" in line
            )
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return count or 256


def _on_rmtree_error(function, path, _):
    # A submission may leave read-only files or folders behind.
    try:
        os.chmod(os.path.dirname(path), stat.S_IRWXU)
        os.chmod(path, stat.S_IRWXU)
        function(path)
    except OSError:
        pass


class Box:
    """A submission's temporary folder and the environment it runs with.

    Layout: `trabajo/` (the working folder, with the submission copied as
    `entrega.ipynb` or `entrega.py`), `home/`, `tmp/`, `lib/secuah_dl` (a
    copy of the installed package) and `kernels/` (the Jupyter kernel spec).

    Args:
        content: bytes. The submission, as read before grading started.
        suffix: str. `".ipynb"` or `".py"`.
        limits: `Limits`. Limits of the student's processes.
        quick: bool. Sets `SECUAH_DL_QUICK=1` unless the grader's
            environment sets it. Defaults to `True`.
    """

    def __init__(self, content, suffix, limits, *, quick=True):
        import secuah_dl

        self.root = pathlib.Path(tempfile.mkdtemp(prefix="secuah-grade-"))
        try:
            self.work = self.root / "trabajo"
            self.home = self.root / "home"
            self.lib = self.root / "lib"
            for folder in (self.work, self.home, self.root / "tmp", self.lib):
                folder.mkdir()
            self.submission = self.work / f"entrega{suffix}"
            self.submission.write_bytes(content)
            shutil.copytree(
                pathlib.Path(secuah_dl.__file__).parent, self.lib / "secuah_dl"
            )
            self.log = self.root / "salida.log"
        except BaseException:
            self.remove()
            raise
        self.limits = limits
        self.env = {k: os.environ[k] for k in _ALLOWED_ENV if k in os.environ}
        self.env.setdefault("PATH", os.defpath)
        self.env.setdefault("LANG", "C.UTF-8")
        if quick:
            self.env.setdefault("SECUAH_DL_QUICK", "1")
        self.env.update(
            HOME=str(self.home),
            TMPDIR=str(self.root / "tmp"),
            PYTHONPATH=str(self.lib),
            PYTHONNOUSERSITE="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONIOENCODING="utf-8",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        self._warm_matplotlib_cache()

    def _warm_matplotlib_cache(self):
        # A fresh HOME makes matplotlib rebuild its font list (seconds); hand
        # the kernel a copy of the grader's, if there is one.
        cache = pathlib.Path(
            os.environ.get("MPLCONFIGDIR") or pathlib.Path.home() / ".cache/matplotlib"
        )
        target = self.home / ".cache" / "matplotlib"
        for font_list in cache.glob("fontlist-*.json"):
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(font_list, target / font_list.name)

    def worker_command(self, *args):
        """The command that starts `secuah_dl.grading.worker` in this box.

        Args:
            *args: str. The worker's arguments after the limits.

        Returns:
            list of str.
        """
        return [
            sys.executable,
            "-s",
            "-m",
            "secuah_dl.grading.worker",
            *self.limits.as_args(),
            *args,
        ]

    def kernel_spec_dir(self):
        """Writes a Jupyter kernel spec that starts IPython under the limits.

        Returns:
            `pathlib.Path` of the folder holding `secuah-grade/kernel.json`.
        """
        import json

        folder = self.root / "kernels"
        spec = folder / "secuah-grade"
        spec.mkdir(parents=True, exist_ok=True)
        argv = self.worker_command(
            "kernel", "--", sys.executable, "-s", "-m", "ipykernel_launcher"
        )
        argv += ["-f", "{connection_file}"]
        (spec / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "entrega", "language": "python"}),
            encoding="utf-8",
        )
        return folder

    def remove(self):
        """Deletes the folder (whatever the submission left in it).

        Returns:
            None.
        """
        shutil.rmtree(self.root, onerror=_on_rmtree_error)


class Kernel:
    """A Jupyter kernel started in a `Box`, driven one cell at a time.

    The kernel runs the box's kernel spec (the limits, then IPython) with
    the box's environment and working folder, over IPC sockets in the box.
    Only display data of type `wire.MIME` is kept from what it publishes,
    and no message larger than `max_message` bytes is read.

    Args:
        box: `Box`.
        startup: float. Seconds to wait for the kernel to answer.
        max_message: int. Largest message read, in bytes (ZeroMQ drops the
            connection on a larger one, and the cell runs out of time).
            At most 128 messages wait in the queue. Defaults to 16 MiB.
    """

    GRACE = 3.0
    """Seconds an interrupted cell gets to stop before the kernel is lost."""

    def __init__(self, box, startup, max_message=None):
        import zmq
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        self.context = zmq.Context()
        self.max_message = max_message or 16 * 2**20
        self.context.setsockopt(zmq.MAXMSGSIZE, self.max_message)
        self.context.setsockopt(zmq.RCVHWM, 128)
        specs = KernelSpecManager(kernel_dirs=[str(box.kernel_spec_dir())])
        # IPC sockets in the box (no TCP port open to other users), unless
        # the path is too long for a Unix socket.
        sockets = str(box.root / "nucleo")
        ipc = len(sockets) < 90
        self.manager = KernelManager(
            kernel_name="secuah-grade",
            kernel_spec_manager=specs,
            transport="ipc" if ipc else "tcp",
            ip=sockets if ipc else "127.0.0.1",
            connection_file=str(box.root / "conexion.json"),
        )
        self.client = None
        try:
            with open(box.log, "ab") as log:
                self.manager.start_kernel(
                    env=box.env, cwd=str(box.work), stdout=log, stderr=log
                )
            self.client = self.manager.client(context=self.context)
            self.client.start_channels()
            self.client.wait_for_ready(timeout=startup)
        except BaseException:
            self.close()
            raise

    def run(self, code, seconds, deadline):
        """Runs a cell, interrupting it (then giving up) when it overruns.

        Args:
            code: str. The cell's source.
            seconds: float. Time limit of the cell.
            deadline: float. A `time.monotonic()` value it must also meet.

        Returns:
            `(state, payloads)`: state `"ok"`, `"error"` (it raised),
            `"interrupted"` (stopped by KeyboardInterrupt; the kernel is
            usable), `"died"` (the kernel ended within the time limit) or
            `"lost"` (it overran and would not stop): close it after the
            last two; payloads the `wire.MIME` texts it published.
        """
        msg_id = self.client.execute(
            code, store_history=False, allow_stdin=False, stop_on_error=False
        )
        state, found = self._wait(msg_id, min(deadline, time.monotonic() + seconds))
        if state != "timeout":
            return state, found
        try:  # KeyboardInterrupt in the cell; if it will not stop, the kernel goes
            self.manager.interrupt_kernel()
        except Exception:  # noqa: BLE001 - the kernel may be gone already
            return "lost", found
        state, _ = self._wait(msg_id, time.monotonic() + self.GRACE)
        return ("interrupted" if state in ("ok", "error") else "lost"), found

    def _wait(self, msg_id, until):
        found, size, state = [], 0, "ok"
        while (remaining := until - time.monotonic()) > 0:
            try:
                message = self.client.get_iopub_msg(timeout=min(remaining, 0.5))
            except queue.Empty:
                if not self.manager.is_alive():
                    return "died", found
                continue
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message.get("msg_type"), message.get("content", {})
            if kind == "display_data":
                text = content.get("data", {}).get(wire.MIME)
                if isinstance(text, str) and size + len(text) <= self.max_message:
                    found.append(text)
                    size += len(text)
            elif kind == "error":
                state = "error"
            elif kind == "status" and content.get("execution_state") == "idle":
                return state, found
        return "timeout", found

    def close(self):
        """Stops the kernel (the `Reaper` kills whatever it left).

        Returns:
            None.
        """
        try:
            if self.client is not None:
                self.client.stop_channels()
            if self.manager.has_kernel:
                self.manager.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - the reaper kills what is left
            pass
        self.context.destroy(linger=0)


def _children(pid):
    """Non-zombie children of `pid`, and zombie ones, from /proc."""
    alive, zombies = [], []
    for entry in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        # Fields after the command name, which may itself hold ") ".
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            (zombies if fields[0] == "Z" else alive).append(int(entry.parent.name))
    return alive, zombies


def _descendants(roots):
    """`roots` and every process below them."""
    children = {}
    for entry in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
            parent = int(text[text.rfind(")") + 2 :].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.parent.name))
    found, frontier = set(roots), list(roots)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


class Reaper:
    """Collects and kills what a submission leaves running.

    Used as a context manager around a batch. On Linux it makes this process
    a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): a process that the
    submission detaches (`setsid`, double fork) is re-parented here when its
    parent dies, instead of escaping to init. `sweep()` then kills (SIGSTOP,
    SIGKILL) and reaps every child of this process that did not exist when
    the batch started, and everything below it, until none is left.
    Elsewhere only the submission's process group is killed.

    Do not start other child processes while a batch is being graded: they
    would be taken for the submission's.
    """

    _SET, _GET = 36, 37  # PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER

    def __init__(self):
        self._libc = None
        self._previous = 0
        self._known = set()

    def __enter__(self):
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                previous = ctypes.c_int(0)
                libc.prctl(self._GET, ctypes.byref(previous), 0, 0, 0)
                if libc.prctl(self._SET, 1, 0, 0, 0) == 0:
                    self._libc, self._previous = libc, previous.value
            except (OSError, AttributeError):
                self._libc = None
        if self._libc is not None:
            alive, zombies = _children(os.getpid())
            self._known = set(alive) | set(zombies)
        return self

    def __exit__(self, *exc):
        self.sweep()
        if self._libc is not None:
            self._libc.prctl(self._SET, self._previous, 0, 0, 0)
        return False

    @property
    def complete(self):
        """bool. Whether orphans come back here (Linux subreaper)."""
        return self._libc is not None

    def kill_group(self, pid):
        """Kills the process group (session) led by `pid`, if any.

        Args:
            pid: int. A process started with `start_new_session=True`.

        Returns:
            None.
        """
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def sweep(self, timeout=10.0):
        """Kills and reaps every process the submission left behind.

        Args:
            timeout: float. Seconds to keep trying. Defaults to `10.0`.

        Returns:
            int. Processes signalled, zombies of the submission included.
        """
        if self._libc is None:
            return 0
        killed, me = 0, os.getpid()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # A zombie stays a root until it is reaped: a killed multi-threaded
            # process shows its leader as a zombie while its other threads
            # still exit, and its children are handed over only when the
            # last one ends.
            alive, zombies = _children(me)
            strays = [pid for pid in alive + zombies if pid not in self._known]
            if not strays:
                break
            tree = _descendants(strays)
            for sig in (signal.SIGSTOP, signal.SIGKILL):  # stop forks, then kill
                for pid in tree:
                    try:
                        os.kill(pid, sig)
                    except (ProcessLookupError, PermissionError):
                        pass
            killed += len(tree)
            for pid in strays:
                _reap(pid, wait=0.5)
        return killed


def _reap(pid, wait=0.0):
    deadline = time.monotonic() + wait
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= deadline:
            return
        time.sleep(0.01)


class LineReader:
    """Reads lines from a pipe with a deadline, keeping at most `max_line` bytes.

    Longer lines are dropped whole (they cannot be a valid payload), so an
    endless output costs the grader no memory.

    Args:
        stream: a binary file object (e.g. `Popen.stdout`).
        max_line: int. Longest line kept, in bytes.
    """

    def __init__(self, stream, max_line):
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._max = max_line
        self._buffer = bytearray()
        self._dropping = False
        self._lines = []
        self.closed = False

    def readline(self, deadline):
        """The next line (bytes, without the newline).

        Args:
            deadline: float. A `time.monotonic()` value.

        Returns:
            bytes, or `None` if the deadline passed or the pipe closed
            (see `closed`) first.
        """
        while not self._lines:
            if self.closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(min(remaining, 1.0)):
                if time.monotonic() >= deadline:
                    return None
                continue
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                self.closed = True
            self._feed(chunk)
        return self._lines.pop(0)

    def _feed(self, chunk):
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            if not self._dropping and len(self._buffer) + len(piece) <= self._max:
                self._lines.append(bytes(self._buffer + piece))
            self._buffer.clear()
            self._dropping = False
        if self._dropping:
            return
        self._buffer += rest
        if len(self._buffer) > self._max:
            self._buffer.clear()
            self._dropping = True

    def close(self):
        """Stops watching the pipe.

        Returns:
            None.
        """
        self._selector.close()
