"""Windows: a worker and every process it starts in one job object, the kernel's group.

What process groups, rlimits and prctl give on Linux, a job gives on Windows: one memory
limit for all its processes (committed memory), a CPU-time limit, a process count, every
process killed at once (TerminateJobObject), and all of them killed when the grader's
handle closes, however the grader ends (KILL_ON_JOB_CLOSE). Only facilities.py calls this
module, and only on Windows; any refusal leaves the worker as it was (taskkill /T then).
"""
import ctypes
from ctypes import wintypes

JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x8
JOB_OBJECT_LIMIT_JOB_TIME = 0x4
JOB_OBJECT_LIMIT_JOB_MEMORY = 0x200
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
HUNDRED_NS_PER_SECOND = 10_000_000
PROCESS_SET_QUOTA = 0x0100
PROCESS_TERMINATE = 0x0001


# A DWORD is 32 bits on Windows, whatever ctypes.wintypes says elsewhere: spelled so, the
# layout (64, 48 and 144 bytes on 64-bit Windows) can be checked on any machine.
DWORD = ctypes.c_uint32


class _BasicLimits(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", DWORD),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", DWORD), ("SchedulingClass", DWORD)]


class _IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("ReadOperationCount", "WriteOperationCount",
                                                      "OtherOperationCount", "ReadTransferCount",
                                                      "WriteTransferCount", "OtherTransferCount")]


class _ExtendedLimits(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", _BasicLimits), ("IoInfo", _IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


def _kernel32():
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.argtypes = [DWORD, wintypes.BOOL, DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.SetInformationJobObject.argtypes = [wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, DWORD]
    kernel32.SetInformationJobObject.restype = wintypes.BOOL
    kernel32.AssignProcessToJobObject.argtypes = [wintypes.HANDLE, wintypes.HANDLE]
    kernel32.AssignProcessToJobObject.restype = wintypes.BOOL
    kernel32.TerminateJobObject.argtypes = [wintypes.HANDLE, wintypes.UINT]
    kernel32.TerminateJobObject.restype = wintypes.BOOL
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    kernel32.CloseHandle.restype = wintypes.BOOL
    return kernel32


def contain(pid: int, memory_mb: int, cpu_seconds: int, processes: int):
    """A job holding the process, with these limits; None when Windows refuses any step."""
    kernel32 = _kernel32()
    process = kernel32.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, False, pid)
    if not process:
        return None
    try:
        return _new_job(kernel32, process, memory_mb, cpu_seconds, processes)
    finally:
        kernel32.CloseHandle(process)


def _new_job(kernel32, process, memory_mb: int, cpu_seconds: int, processes: int):
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return None
    limits = _ExtendedLimits()
    basic = limits.BasicLimitInformation
    basic.LimitFlags = (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_JOB_MEMORY
                        | JOB_OBJECT_LIMIT_JOB_TIME | JOB_OBJECT_LIMIT_ACTIVE_PROCESS)
    basic.PerJobUserTimeLimit = cpu_seconds * HUNDRED_NS_PER_SECOND
    basic.ActiveProcessLimit = processes
    limits.JobMemoryLimit = memory_mb * 1024 * 1024
    if not (kernel32.SetInformationJobObject(job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(limits),
                                             ctypes.sizeof(limits))
            and kernel32.AssignProcessToJobObject(job, process)):
        kernel32.CloseHandle(job)
        return None
    return job


def terminate(job) -> None:
    """Kill every process of the job and let it go."""
    kernel32 = _kernel32()
    kernel32.TerminateJobObject(job, 1)
    kernel32.CloseHandle(job)
