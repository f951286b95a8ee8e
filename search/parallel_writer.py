"""Write one large batch with several processes, each making its own segment.

Whoosh analyses text and sorts postings in Python, so one writer uses one core
however many the machine has. Whoosh's MpWriter hands the batch's documents to
writer processes in job files; with multisegment each process's segment joins the
index as it is, so nothing is merged and no posting is written twice. This
subclass keeps what it gets wrong from losing documents silently: a writer process
that died, or a segment that did not come back, fails the commit instead of being
left out, and a cancelled write stops its processes instead of leaving them waiting.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import queue
import shutil
import signal
from pathlib import Path

from whoosh.index import TOC, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

JOB_DOCUMENTS = 250             # documents per job file handed to a writer process
RESULT_POLL_S = 0.5
PR_SET_PDEATHSIG = 1


class WriterProcessFailed(RuntimeError):
    """A writer process died or returned no segment: the batch was not committed."""


class _SubWriter(SubWriterTask):
    """A writer process, started fresh and dying with the process that started it.

    Spawned, not forked: a fork shares the parent's heap, which holds the whole batch
    of parsed articles, and every page either side touches is then copied (a 100k
    import peaked at 4 GB). On Linux it is killed with its parent, instead of waiting
    for jobs forever after a kill -9.
    """

    @staticmethod
    def _Popen(process_obj):
        return multiprocessing.get_context("spawn").Process._Popen(process_obj)

    def run(self):
        _die_with_parent()
        super().run()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):       # not Linux: a killed import may leave its writers waiting
        return
    if os.getppid() == 1:                   # the parent died before the call
        os._exit(1)


class ParallelWriter(MpWriter):
    """MpWriter with one segment per process, checked before the commit names them."""

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, batchsize=JOB_DOCUMENTS, multisegment=True, **kwargs)
        # Queues a spawned process can share (MpWriter makes them in the default, forking, context).
        spawn = multiprocessing.get_context("spawn")
        self.jobqueue, self.resultqueue = spawn.Queue(self.procs * 4), spawn.Queue()
        self.handed_out = 0

    def _new_task(self):
        task = _SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                          self.multisegment, self.tempname)
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        """Hand the buffered documents to a writer process in a job file, as MpWriter does, noticing deaths."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f)
        if len(self.tasks) < self.procs:
            self._new_task()
        self.handed_out += len(self.docbuffer)
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job) -> None:
        """Queue a job; fail when a writer process died, where MpWriter waits for room in the queue forever."""
        while True:
            try:
                self.jobqueue.put(job, timeout=RESULT_POLL_S)
                return
            except queue.Full:
                failed = [task.exitcode for task in self.tasks if task.exitcode not in (None, 0)]
                if failed:
                    raise WriterProcessFailed(f"a writer process failed (exit codes {failed}) "
                                              "while the batch was handed out: nothing was committed") from None

    def cancel(self):
        """Undo the write: stop the writer processes (MpWriter only flags its own copy of them), remove their files."""
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join()
        finally:
            self.tasks = []
            self._check_state()
            self._close_segment()
            self._remove_strays()
            self._finish()                      # releases the lock: strays are gone before

    def _remove_strays(self) -> None:
        """Remove what the committed table of contents does not name, and scratch folders.

        Only the lock holder may: no other writer's new files can be among them.
        """
        toc = TOC.read(self.storage, self.indexname)
        clean_files(self.storage, self.indexname, toc.generation, toc.segments)
        own = Path(self._tempstorage.folder).name
        for path in Path(self.storage.folder).glob("*.tmp"):
            if path.is_dir() and path.name != own:
                shutil.rmtree(path, ignore_errors=True)

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        results = []
        while len(results) < len(self.tasks):
            try:
                # Taken before join: a process exits only once its result is read from the pipe.
                results.append(self.resultqueue.get(timeout=RESULT_POLL_S))
            except queue.Empty:
                if any(task.exitcode not in (None, 0) for task in self.tasks):
                    break           # one died: its segment will never come
        for task in self.tasks:
            task.join()
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        written = sum(segment.doc_count_all() for _, _, segment in results)
        if failed or len(results) != len(self.tasks) or written != self.handed_out:
            message = (f"a writer process failed (exit codes {failed}, {len(results)} of {len(self.tasks)} "
                       f"segments, {written} of {self.handed_out} documents): nothing was committed")
            raise WriterProcessFailed(message)      # the caller cancels: that removes the files
        finalsegments += [segment for _, _, segment in results]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()
