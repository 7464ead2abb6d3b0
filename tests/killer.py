"""Kill a `temvp` command with SIGKILL at every step of its writes, one run per step.

    python tests/killer.py SPEC.json  ->  prints one JSON list of cases

SPEC: {"base": folder of the state before the command, "work": a new folder for the cases, "argv": the command's
arguments (run with temvp.cli.main, paths relative to the case folder), "rerun": the arguments of the rerun
(default argv), "max_steps": a bound}. For k = 1, 2, ... it copies `base` to work/kNNN, forks a child that runs
the command there and kills itself (SIGKILL) at its k-th step, copies the killed state to work/kNNN-rerun and
reruns the command there without a kill; it stops at the first k the command finishes before reaching (that case
is the uninterrupted run). The server imports temvp once and forks per case, so a case costs the command's own time.

A step is each call, outside a staging folder or temporary file (a path part holding '.tmp-' or ending
'.partial'), of: os.replace / os.rename (and so shutil.move), os.fsync, shutil.rmtree (before it starts, and
again half way through its files), a lone os.unlink / os.remove, and open() of a file for writing (after opening,
so a file that is written in place is seen truncated). The kill lands just before the step's call runs (after it,
for open and the rmtree half-way point).
"""
import builtins
import io
import json
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path

_TMP = re.compile(r"(\.tmp-|\.partial$)")


def _outside_tmp(*paths):
    "Whether some path is a real destination: not inside (nor itself) a staging folder or temporary file."
    return any(p is not None and not any(_TMP.search(part) for part in Path(os.fsdecode(p)).parts) for p in paths)


class Killer:
    "Counts the steps of this process and SIGKILLs it at step `at` (0: never), after writing the step to `log`."

    def __init__(self, at, log, root):
        self.at, self.log, self.root, self.n, self.lock = at, log, Path(root), 0, threading.Lock()
        self.in_rmtree = 0

    def rel(self, p):
        p = Path(os.fsdecode(p))
        try:
            return str(p.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(p)

    def step(self, what):
        with self.lock:
            self.n += 1
            if self.n == self.at:
                fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # os.open/os.write are not hooked
                os.write(fd, what.encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)

    def install(self):
        real = {k: getattr(os, k) for k in ("replace", "rename", "fsync", "unlink", "remove")}
        real_rmtree, real_open = shutil.rmtree, builtins.open

        def moving(name):
            def f(src, dst, *a, **kw):
                if _outside_tmp(src, dst) and not kw.get("src_dir_fd") and not kw.get("dir_fd"):
                    self.step(f"os.{name} {self.rel(src)} -> {self.rel(dst)}")
                return real[name](src, dst, *a, **kw)
            return f

        def fsync(fd):
            try:
                target = os.readlink(f"/proc/self/fd/{fd if isinstance(fd, int) else fd.fileno()}")
            except OSError:
                target = None
            if target is None or _outside_tmp(target):
                self.step(f"os.fsync {self.rel(target) if target else fd}")
            return real["fsync"](fd)

        def deleting(name):
            def f(path, *a, **kw):
                if self.in_rmtree:
                    self.rm_done += 1
                    if self.rm_done == self.rm_half:
                        self.step(f"shutil.rmtree {self.rm_path} half way ({self.rm_done} of {self.rm_total} files)")
                elif not kw.get("dir_fd") and _outside_tmp(path) and os.path.lexists(path):
                    self.step(f"os.{name} {self.rel(path)}")
                return real[name](path, *a, **kw)
            return f

        def rmtree(path, *a, **kw):
            if not _outside_tmp(path) or not os.path.isdir(path) or self.in_rmtree:
                return real_rmtree(path, *a, **kw)
            self.step(f"shutil.rmtree {self.rel(path)} (before)")
            files = sum(len(fs) for _, _, fs in os.walk(path))
            self.in_rmtree, self.rm_done, self.rm_total = 1, 0, files
            self.rm_half, self.rm_path = (files // 2 if files >= 2 else -1), self.rel(path)
            try:
                return real_rmtree(path, *a, **kw)
            finally:
                self.in_rmtree = 0

        def open_(file, mode="r", *a, **kw):
            f = real_open(file, mode, *a, **kw)
            if isinstance(file, (str, bytes, os.PathLike)) and set(mode) & set("wax+") and _outside_tmp(file):
                self.step(f"open({self.rel(file)!r}, {mode!r}) (after opening)")
            return f

        os.replace, os.rename, os.fsync = moving("replace"), moving("rename"), fsync
        os.unlink, os.remove = deleting("unlink"), deleting("remove")
        shutil.rmtree = rmtree
        builtins.open = io.open = open_


def _child(case, argv, at, log):
    "In the forked child: run the command in `case` with the killer armed at step `at`; never returns."
    try:
        os.chdir(case)
        from temvp.cli import main
        sys.stdout = open(os.devnull, "w")
        sys.stderr = open(Path(log).with_suffix(".stderr"), "w")
        Killer(at, log, case).install()
        rc = main(list(argv))
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:  # noqa: BLE001  (report, then leave without running the parent's cleanup)
        import traceback
        traceback.print_exc(file=sys.__stderr__)
        rc = 3
    for f in (sys.stdout, sys.stderr):
        f.flush()
    os._exit(rc or 0)


def _run(case, argv, at, log):
    "Fork, run, wait: ('killed', step) or ('exit', status)."
    pid = os.fork()
    if pid == 0:
        _child(case, argv, at, log)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return ("killed", Path(log).read_text() if sig == signal.SIGKILL and Path(log).exists() else f"signal {sig}")
    return ("exit", os.WEXITSTATUS(status))


def kill_every_step(spec):
    "The cases of `spec` (see the module docstring): [{k, case, rerun, outcome, step, rerun_status}]."
    import temvp.cli  # noqa: F401  (imported once; each case forks from here)
    import temvp.evaluate, temvp.pipeline, temvp.train, temvp.clips  # noqa: E401, F401
    base, work = Path(spec["base"]), Path(spec["work"])
    work.mkdir(parents=True, exist_ok=False)
    out = []
    for k in range(1, int(spec.get("max_steps", 200)) + 1):
        case = work / f"k{k:03d}"
        shutil.copytree(base, case, symlinks=True)
        outcome, info = _run(case, spec["argv"], k, work / f"k{k:03d}.step")
        rec = {"k": k, "case": str(case), "outcome": outcome, "step": info if outcome == "killed" else None,
               "status": info if outcome == "exit" else None}
        if outcome == "killed":
            rerun = work / f"k{k:03d}-rerun"
            shutil.copytree(case, rerun, symlinks=True)
            _, status = _run(rerun, spec.get("rerun", spec["argv"]), 0, work / f"k{k:03d}-rerun.step")
            rec.update(rerun=str(rerun), rerun_status=status)
        out.append(rec)
        if outcome == "exit":
            return out
    raise RuntimeError(f"the command still had steps after max_steps={spec.get('max_steps', 200)}: {out[-1]}")


if __name__ == "__main__":
    print(json.dumps(kill_every_step(json.loads(Path(sys.argv[1]).read_text()))))
