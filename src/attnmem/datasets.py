"""Where real datasets live, and how an official archive gets there.

Loaders never read from the repository. They take a path, else ``$ATTNMEM_DATA``,
else ``~/.cache/attnmem`` (:func:`data_root`). ``attnmem data NAME --from
FILE_OR_DIR`` calls the ``install_*`` function of that data set, which unpacks
or copies the official files under the root, checks that every expected file is
there, and only then moves them into place in one rename, so an interrupted or
failed install never leaves a half-written data set behind.

Layout under the root (the official archives unpack to the same names)::

    <root>/babi/tasks_1-20_v1-2/<lang>/qa<N>_<name>_<train|test>.txt

This module knows file names and folders only; parsing lives with the tasks
(``attnmem.tasks.babi``).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

DATA_ENV = "ATTNMEM_DATA"
DEFAULT_ROOT = Path("~/.cache/attnmem")

BABI_DIR = "tasks_1-20_v1-2"  # the official archive's top folder, kept under <root>/babi/
BABI_SPLITS = ("train", "test")
# Task id -> name, as in the official file names qa<N>_<name>_<split>.txt.
BABI_TASKS: dict[int, str] = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    3: "three-supporting-facts",
    4: "two-arg-relations",
    5: "three-arg-relations",
    6: "yes-no-questions",
    7: "counting",
    8: "lists-sets",
    9: "simple-negation",
    10: "indefinite-knowledge",
    11: "basic-coreference",
    12: "conjunction",
    13: "compound-coreference",
    14: "time-reasoning",
    15: "basic-deduction",
    16: "basic-induction",
    17: "positional-reasoning",
    18: "size-reasoning",
    19: "path-finding",
    20: "agents-motivations",
}
_MAX_LISTED = 5  # missing files named in an error message before "... and N more"


class DataError(ValueError):
    """A data set is missing, incomplete or not what it claims to be."""


class DataNotFoundError(DataError, FileNotFoundError):
    """An expected data file is not installed (also a ``FileNotFoundError``)."""


def data_root(path: str | os.PathLike[str] | None = None) -> Path:
    """The data root: ``path`` if given, else ``$ATTNMEM_DATA``, else ``~/.cache/attnmem``.

    ``~`` is expanded; the folder is not created.
    """
    if path is None:
        path = os.environ.get(DATA_ENV) or DEFAULT_ROOT
    return Path(path).expanduser()


def babi_file_name(task: int, split: str) -> str:
    """Official file name of a bAbI task and split: ``qa1_single-supporting-fact_train.txt``."""
    if task not in BABI_TASKS:
        raise ValueError(f"bAbI task must be an integer in 1..20, got {task!r}")
    if split not in BABI_SPLITS:
        raise ValueError(f"bAbI split must be one of {BABI_SPLITS}, got {split!r}")
    return f"qa{task}_{BABI_TASKS[task]}_{split}.txt"


def babi_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """``<root>/babi/tasks_1-20_v1-2``, the installed bAbI folder (it may not exist)."""
    return data_root(root) / "babi" / BABI_DIR


def verify_babi(folder: str | os.PathLike[str]) -> list[str]:
    """Check an extracted ``tasks_1-20_v1-2`` folder; return its language folders, sorted.

    ``en/`` must exist, and every language folder present (``en``, ``en-10k``,
    ``hn``, ``shuffled``, ...: every subfolder not starting with ``.`` or ``_``)
    must hold all 20 tasks x {train, test}, as non-empty files. Raises
    :class:`DataError` naming the missing files.
    """
    folder = Path(folder)
    if not (folder / "en").is_dir():
        raise DataError(f"bAbI: no 'en' folder in {folder} (expected {BABI_DIR}/en/qa1_...)")
    langs = sorted(
        p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )
    missing = []
    for lang in langs:
        for task in BABI_TASKS:
            for split in BABI_SPLITS:
                file = folder / lang / babi_file_name(task, split)
                if not file.is_file():
                    missing.append(f"{lang}/{file.name}")
                elif file.stat().st_size == 0:
                    missing.append(f"{lang}/{file.name} (empty)")
    if missing:
        listed = ", ".join(missing[:_MAX_LISTED])
        more = f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
        raise DataError(
            f"bAbI: {len(missing)} of {40 * len(langs)} task files missing in {folder} "
            f"(language folders {', '.join(langs)}): {listed}{more}"
        )
    return langs


def install_babi(
    source: str | os.PathLike[str], root: str | os.PathLike[str] | None = None
) -> Path:
    """Install bAbI v1.2 from the official archive or an extracted folder; return the folder.

    ``source`` is ``tasks_1-20_v1-2.tar.gz`` (or ``.tar``), or a folder: the
    extracted ``tasks_1-20_v1-2`` itself (any folder holding ``en/``), its
    parent, or a data root holding ``babi/tasks_1-20_v1-2``. The files are
    unpacked or copied into a temporary folder under ``<root>/babi``, checked
    with :func:`verify_babi`, and moved to ``<root>/babi/tasks_1-20_v1-2`` by a
    rename, replacing an earlier install. On any failure the temporary files are
    removed and an earlier install is left as it was. Raises :class:`DataError`.
    """
    source = Path(source).expanduser()
    if not source.exists():
        raise DataNotFoundError(f"bAbI: source {source} does not exist")
    dest = babi_dir(root)
    if source.is_dir():
        found = _find_babi_folder(source).resolve()  # fail before touching the root
        if found in dest.resolve().parents:
            raise DataError(f"bAbI: the data root {data_root(root)} must not be inside {found}")
    elif not tarfile.is_tarfile(source):
        raise DataError(f"bAbI: {source} is neither a folder nor a tar archive (.tar, .tar.gz)")

    created = [p for p in (dest.parent.parent, dest.parent) if not p.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{BABI_DIR}.tmp-", dir=dest.parent))
    try:
        if source.is_dir():
            staged = tmp / BABI_DIR
            shutil.copytree(_find_babi_folder(source), staged)
        else:
            _safe_extract(source, tmp / "x")
            staged = _find_babi_folder(tmp / "x")
        verify_babi(staged)
        _replace_dir(staged, dest, backup=tmp / "previous")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(created):  # innermost first; only folders this call made
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    shutil.rmtree(tmp, ignore_errors=True)  # holds the previous install, if there was one
    return dest


def _find_babi_folder(folder: Path) -> Path:
    """The ``tasks_1-20_v1-2`` folder (one holding ``en/``) at or just below ``folder``."""
    for candidate in (folder, folder / BABI_DIR, folder / "babi" / BABI_DIR):
        if (candidate / "en").is_dir():
            return candidate
    raise DataError(
        f"bAbI: no 'en' folder in {folder}, {folder / BABI_DIR} or {folder / 'babi' / BABI_DIR}; "
        f"give the official {BABI_DIR}.tar.gz or the folder it unpacks to"
    )


def _safe_extract(archive: Path, into: Path) -> None:
    """Extract a tar archive of plain files and folders; refuse anything that could escape."""
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts or member.name.startswith("\\"):
                    raise DataError(f"bAbI: {archive} holds an unsafe path {member.name!r}")
                if not (member.isfile() or member.isdir()):
                    raise DataError(
                        f"bAbI: {archive} holds {member.name!r}: not a plain file or folder"
                    )
            into.mkdir()
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12
                tar.extractall(into, members=members, filter="data")
            else:  # pragma: no cover - older Pythons; members were checked above
                tar.extractall(into, members=members)
    except (tarfile.TarError, EOFError, OSError) as e:  # corrupt, truncated or unreadable
        raise DataError(f"bAbI: cannot extract {archive}: {e}") from e


def _replace_dir(new: Path, dest: Path, *, backup: Path) -> None:
    """Move ``new`` to ``dest``; an old ``dest`` goes to ``backup``, and back on failure."""
    had_previous = dest.exists()
    if had_previous:
        os.replace(dest, backup)
    try:
        os.replace(new, dest)
    except BaseException:
        if had_previous:
            os.replace(backup, dest)
        raise
