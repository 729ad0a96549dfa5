"""The Java virtual machine that MPXJ runs in: started once per process, on the first schedule read.

MPXJ and JPype come with the optional extra ``valuegraph[schedules]``; Java itself comes from the machine
(``JAVA_HOME`` or the system's default Java). Both are imported and started only when a schedule is read,
so that no other command pays for a JVM start or needs the extra.
"""

from __future__ import annotations

import threading
from pathlib import Path

from valuegraph.graph.errors import DocumentRejected, SyncError

EXTRA = "valuegraph[schedules]"
JAVA = "Java 8 or later"  # MPXJ's classes are Java 8 class files
#: log4j (inside MPXJ) complains on stderr that it has no logging provider unless it is given a simple one
JVM_OPTIONS = ("-Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory",
               "-Dlog4j2.level=OFF", "-Djava.awt.headless=true")

_lock = threading.Lock()


class ScheduleReaderMissing(DocumentRejected):
    """Java or the schedules extra is not installed: no schedule can be read in this process."""


def _missing(path: Path, what: str) -> ScheduleReaderMissing:
    return ScheduleReaderMissing([SyncError(str(path), what)])


def start_jvm(path: Path):
    """The ``jpype`` module with a running JVM that has MPXJ on its class path; ScheduleReaderMissing naming
    what to install when the extra or Java is missing. ``path`` is the file being read, for the message."""
    # imported here, not at the top: the extra is optional and a JVM start costs seconds, which only a
    # schedule read should pay
    try:
        import jpype
        import mpxj  # noqa: F401  (importing it puts MPXJ's jars on JPype's class path)
    except ImportError as exc:
        raise _missing(path, f"reading schedules needs the extra {EXTRA} (MPXJ and JPype; {exc.name} is not "
                             f"installed) and {JAVA}: pip install '{EXTRA}'") from exc
    with _lock:
        if not jpype.isJVMStarted():
            try:
                jvm = jpype.getDefaultJVMPath()
            except jpype.JVMNotFoundException as exc:
                raise _missing(path, f"reading schedules needs {JAVA} and none was found: install a Java runtime "
                                     "(as in apt-get install openjdk-17-jre-headless) or set JAVA_HOME to one; the "
                                     f"extra {EXTRA} is installed") from exc
            try:
                jpype.startJVM(jvm, *JVM_OPTIONS)
            except (OSError, RuntimeError) as exc:
                raise _missing(path, f"reading schedules needs {JAVA}, and the Java at {jvm} does not start: "
                                     f"{exc}") from exc
    return jpype
