"""Extracting untrusted zips (student uploads, LMS exports) without letting them write
outside the target folder, plant symlinks, or fill the disk."""
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..errors import ZipProblem

MAX_FILES = 5_000
MAX_FILE_BYTES = 20 * 2**20
MAX_TOTAL_BYTES = 200 * 2**20
# Archive clutter that is never part of a submission.
JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db")


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")  # some Windows tools write backslashes
    path = PurePosixPath(name)
    if name.startswith("/") or (path.parts and ":" in path.parts[0]) or ".." in path.parts:
        raise ZipProblem(f"unsafe path in zip: {info.filename!r}")
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix zips keep the file mode in the high 16 bits of external_attr.
    return stat.S_ISLNK(info.external_attr >> 16)


def extract(zip_path, dest, *, max_files=MAX_FILES, max_file_bytes=MAX_FILE_BYTES,
            max_total_bytes=MAX_TOTAL_BYTES) -> Path:
    """Extract `zip_path` into the new folder `dest` (replaced if it exists). All or
    nothing: on any problem ZipProblem is raised and `dest` does not exist."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp"))
    try:
        _extract_into(zip_path, staging, max_files, max_file_bytes, max_total_bytes)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _extract_into(zip_path, root: Path, max_files, max_file_bytes, max_total_bytes) -> None:
    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as e:
        raise ZipProblem(f"not a valid zip file ({e})") from None
    except OSError as e:
        raise ZipProblem(f"cannot read zip: {e.strerror}") from None
    except (UnicodeError, ValueError, NotImplementedError, EOFError) as e:
        # e.g. a zip whose UTF-8 flag says its names are UTF-8 when they are not
        raise ZipProblem(f"not a usable zip file ({type(e).__name__}: {e})") from None
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise ZipProblem(f"zip has {len(infos)} entries, more than the limit of {max_files}")
        for info in infos:
            path = _member_path(info)
            if not path.parts or any(p in JUNK for p in path.parts):
                continue
            if _is_symlink(info):
                raise ZipProblem(f"zip contains a symbolic link: {info.filename!r}")
            if info.flag_bits & 0x1:
                raise ZipProblem(f"zip entry is encrypted: {info.filename!r}")
            target = root.joinpath(*path.parts)
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                total += _copy_member(zf, info, target, max_file_bytes, max_total_bytes - total)
            except FileExistsError:
                raise ZipProblem(f"zip holds {info.filename!r} twice") from None
            except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
                    UnicodeError, ValueError) as e:
                raise ZipProblem(f"cannot unpack {info.filename!r}: {e}") from None
            except OSError as e:
                raise ZipProblem(f"cannot unpack {info.filename!r}: {e.strerror or e}") from None


def _copy_member(zf, info, target: Path, max_file_bytes: int, budget: int) -> int:
    """Copy one member, counting the bytes actually decompressed: the sizes in the zip
    header are whatever the archive claims, and a zip bomb claims little."""
    written = 0
    with zf.open(info) as src, open(target, "xb") as out:
        while chunk := src.read(1 << 16):
            written += len(chunk)
            if written > max_file_bytes:
                raise ZipProblem(f"{info.filename!r} unpacks to more than {max_file_bytes // 2**20} MB")
            if written > budget:
                raise ZipProblem("zip unpacks to more than the size limit for one submission")
            out.write(chunk)
    return written
