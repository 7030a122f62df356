"""bAbI: parser, malformed files, installation, vocabulary and tensors.

Fixtures are tiny files written in tmp_path; tests on the real files read
``$ATTNMEM_DATA`` and are skipped where it is not set.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from attnmem import datasets
from attnmem.datasets import (
    BABI_DIR,
    BABI_TASKS,
    DataError,
    DataNotFoundError,
    babi_file_name,
    data_root,
    install_babi,
    verify_babi,
)
from attnmem.tasks.babi import (
    BabiFormatError,
    Story,
    Vocab,
    find_task_file,
    load_babi,
    parse_babi,
    tokenize,
    vectorize,
)

TINY = (
    "1 Mary moved to the bathroom.\n"
    "2 John went to the hallway.\n"
    "3 Where is Mary? \tbathroom\t1\n"
    "4 Daniel went back to the hallway.\n"
    "5 Where is Daniel? \thallway\t4\n"
    "1 The kitchen is north of the hallway.\n"
    "2 The garden is west of the kitchen.\n"
    "3 How do you go from the hallway to the garden?\tn,w\t1 2\n"
)
MARY = ["mary", "moved", "to", "the", "bathroom"]
JOHN = ["john", "went", "to", "the", "hallway"]
DANIEL = ["daniel", "went", "back", "to", "the", "hallway"]
KITCHEN = ["the", "kitchen", "is", "north", "of", "the", "hallway"]
GARDEN = ["the", "garden", "is", "west", "of", "the", "kitchen"]
HOW = ["how", "do", "you", "go", "from", "the", "hallway", "to", "the", "garden"]
TINY_STORIES = [
    Story([MARY, JOHN], ["where", "is", "mary"], ["bathroom"], [0]),
    Story([MARY, JOHN, DANIEL], ["where", "is", "daniel"], ["hallway"], [2]),
    Story([KITCHEN, GARDEN], HOW, ["n", "w"], [0, 1]),
]
SMALL_FILE = "1 Mary went to the park.\n2 Where is Mary?\tpark\t1\n"

REAL_ROOT = os.environ.get("ATTNMEM_DATA")
needs_real = pytest.mark.skipif(
    not REAL_ROOT, reason="ATTNMEM_DATA not set: real bAbI tests need ../shared/data"
)


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# ---------------------------------------------------------------- parsing


def test_parse_tiny_exactly(tmp_path: Path) -> None:
    assert parse_babi(write(tmp_path / "t.txt", TINY)) == TINY_STORIES


def test_parse_accepts_crlf_bom_blank_lines(tmp_path: Path) -> None:
    messy = "\ufeff" + TINY.replace("\n", "\r\n").replace("4 Daniel", "\r\n4 Daniel") + "\n\n"
    assert parse_babi(write(tmp_path / "t.txt", messy)) == TINY_STORIES


def test_question_without_statements_or_supporting_facts(tmp_path: Path) -> None:
    stories = parse_babi(write(tmp_path / "t.txt", "1 Where is Mary?\tpark\t\n"))
    assert stories == [Story([], ["where", "is", "mary"], ["park"], [])]


def test_tokenize() -> None:
    assert tokenize("Where is  Mary? ") == ["where", "is", "mary"]
    assert tokenize("The kitchen is north of the hallway.") == KITCHEN


def test_answer_token() -> None:
    assert TINY_STORIES[2].answer_token == "n,w"
    assert TINY_STORIES[0].answer_token == "bathroom"


MALFORMED = {
    "empty": (b"", 1, "empty file"),
    "blank": (b"\n \n", 1, "empty file"),
    "not utf-8": (b"1 Mary went home.\n2 J\xffohn left.\n3 Where?\tx\t1\n", 2, "UTF-8"),
    "no id": (b"1 Mary went home.\nJohn left.\n", 2, "integer id"),
    "bad id": (b"1 Mary went home.\n2x John left.\n", 2, "integer id"),
    "tab after id": (b"1 Mary went home.\n2\tJohn left.\n", 2, "integer id"),
    "huge id": (b"1 Mary went home.\n12345678901234 John left.\n", 2, "too large"),
    "skipped id": (b"1 Mary went home.\n3 John left.\n", 2, "ids go up by one"),
    "repeated id": (b"1 A went home.\n2 B left.\n2 C left.\n", 3, "ids go up by one"),
    "first id": (b"2 Mary went home.\n", 1, "first line id must be 1"),
    "forward": (b"1 Mary went home.\n2 Where is Mary?\thome\t2\n", 2, "points forward"),
    "far forward": (b"1 Mary went home.\n2 Where is Mary?\thome\t1 7\n", 2, "points forward"),
    "to question": (
        b"1 A went home.\n2 Where is A?\thome\t1\n3 Where is A?\thome\t2\n",
        3,
        "question",
    ),
    "to zero": (b"1 Mary went home.\n2 Where is Mary?\thome\t0\n", 2, "no such line"),
    "support not int": (b"1 Mary went home.\n2 Where is Mary?\thome\t1x\n", 2, "not an integer"),
    "no tabs": (b"1 Mary went home.\n2 Where is Mary? home 1\n", 2, "answer and supporting"),
    "two fields": (b"1 Mary went home.\n2 Where is Mary?\thome\n", 2, "3 tab-separated fields"),
    "four fields": (b"1 Mary went home.\n2 Where is Mary?\thome\t1\t1\n", 2, "found 4"),
    "empty answer": (b"1 Mary went home.\n2 Where is Mary?\t \t1\n", 2, "empty answer"),
    "empty answer word": (b"1 A went home.\n2 How?\tn,,w\t1\n", 2, "separated by commas"),
    "empty question": (b"1 Mary went home.\n2 ?\thome\t1\n", 2, "empty question"),
    "empty sentence": (b"1 Mary went home.\n2 .\n", 2, "empty sentence"),
    "no questions": (b"1 Mary went home.\n2 John left.\n\n", 2, "no questions"),
}


@pytest.mark.parametrize("content, line, what", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_names_file_and_line(tmp_path: Path, content: bytes, line: int, what: str):
    path = write(tmp_path / "qa1_bad_train.txt", content)
    with pytest.raises(BabiFormatError) as info:
        parse_babi(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert what in str(info.value)
    assert (info.value.path, info.value.line) == (path, line)


def test_format_error_pickles() -> None:
    err = pickle.loads(pickle.dumps(BabiFormatError("a.txt", 3, "bad")))
    assert (str(err), err.line, err.path) == ("a.txt:3: bad", 3, Path("a.txt"))


# ---------------------------------------------------------------- mutations


def _mutate(data: bytes, kind: str, pos: int, byte: int) -> bytes:
    if kind == "delete char" and data:
        i = pos % len(data)
        return data[:i] + data[i + 1 :]
    if kind == "insert byte":
        i = pos % (len(data) + 1)
        return data[:i] + bytes([byte]) + data[i:]
    if kind in ("duplicate line", "delete line"):
        lines = data.split(b"\n")
        i = pos % len(lines)
        if kind == "duplicate line":
            lines.insert(i, lines[i])
        else:
            del lines[i]
        return b"\n".join(lines)
    if kind == "swap tab/space":
        spots = [i for i, c in enumerate(data) if c in b"\t "]
        if spots:
            i = spots[pos % len(spots)]
            return data[:i] + (b" " if data[i : i + 1] == b"\t" else b"\t") + data[i + 1 :]
    if kind == "change digit":
        spots = [i for i, c in enumerate(data) if c in b"0123456789"]
        if spots:
            i = spots[pos % len(spots)]
            return data[:i] + str(byte % 10).encode() + data[i + 1 :]
    return data


_KINDS = ["delete char", "insert byte", "duplicate line", "delete line", "swap tab/space"]
_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from([*_KINDS, "change digit"]),
        st.integers(0, 2**20),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def mutation_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The start of two real files (multi-word answers included), else the tiny fixture."""
    if REAL_ROOT:
        folder = Path(REAL_ROOT) / "babi" / BABI_DIR / "en"
        heads = [
            b"\n".join((folder / babi_file_name(task, "train")).read_bytes().split(b"\n")[:60])
            for task in (2, 8)
        ]
        base = b"\n".join(heads) + b"\n"
    else:
        base = TINY.encode()
    return tmp_path_factory.mktemp("mutations") / "qa_mutated_train.txt", base


@settings(max_examples=200, deadline=None)
@given(mutations=_MUTATIONS)
def test_mutated_file_parses_or_names_line(mutation_base: tuple[Path, bytes], mutations) -> None:
    path, data = mutation_base
    for kind, pos, byte in mutations:
        data = _mutate(data, kind, pos, byte)
    path.write_bytes(data)
    try:
        stories = parse_babi(path)
    except BabiFormatError as e:
        assert str(e).startswith(f"{path}:{e.line}: ")
        assert 1 <= e.line <= data.count(b"\n") + 1
        return
    assert stories
    for story in stories:
        assert story.question and story.answer and all(story.answer)
        assert all(0 <= i < len(story.sentences) for i in story.supporting)
        assert all(story.sentences)


# ---------------------------------------------------------------- data root and lookup


def test_data_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTNMEM_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "given") == tmp_path / "given"
    assert data_root(str(tmp_path)) == tmp_path
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("ATTNMEM_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == tmp_path / "home" / ".cache" / "attnmem"
    monkeypatch.setenv("ATTNMEM_DATA", "")
    assert data_root() == tmp_path / "home" / ".cache" / "attnmem"


def test_find_task_file_missing_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="attnmem data babi --from PATH") as info:
        find_task_file(3, "test", root=tmp_path)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, DataError)
    assert "qa3_three-supporting-facts_test.txt" in str(info.value)


@pytest.mark.parametrize("task, split", [(0, "train"), (21, "train"), (1, "valid")])
def test_find_task_file_rejects_bad_names(tmp_path: Path, task: int, split: str) -> None:
    with pytest.raises(ValueError, match="task|split"):
        find_task_file(task, split, root=tmp_path)


def test_find_task_file_uses_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    installed = install_babi(make_babi_tree(tmp_path / "src" / BABI_DIR), tmp_path / "data")
    monkeypatch.setenv("ATTNMEM_DATA", str(tmp_path / "data"))
    assert find_task_file(19, "train") == installed / "en" / "qa19_path-finding_train.txt"
    task = load_babi(19, "train")
    assert (task.task, task.split, task.lang, task.name) == (19, "train", "en", "path-finding")
    assert list(task) == TINY_STORIES and len(task) == 3


# ---------------------------------------------------------------- installation


def make_babi_tree(folder: Path, langs: tuple[str, ...] = ("en",), *, skip: str = "") -> Path:
    """A fake ``tasks_1-20_v1-2``: every language with 20 tasks x 2 tiny files (but ``skip``)."""
    for lang in langs:
        (folder / lang).mkdir(parents=True)
        for task in BABI_TASKS:
            for split in ("train", "test"):
                name = f"{lang}/{babi_file_name(task, split)}"
                if name != skip:
                    write(folder / name, TINY if task == 19 else SMALL_FILE)
    write(folder / "README.txt", "fake bAbI\n")
    return folder


def make_tar(folder: Path, archive: Path, mode: str = "w:gz") -> Path:
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_install_from_folder_variants(tmp_path: Path) -> None:
    tree = make_babi_tree(tmp_path / "src" / BABI_DIR)
    renamed = make_babi_tree(tmp_path / "elsewhere" / "my-babi")
    for n, source in enumerate([tree, tree.parent, renamed, str(tree)]):
        root = tmp_path / f"root{n}"
        installed = install_babi(source, root)
        assert installed == root / "babi" / BABI_DIR
        assert listing(installed) == listing(tree)
        assert load_babi(19, "test", root=root).stories == TINY_STORIES
        assert os.listdir(root / "babi") == [BABI_DIR]  # no temporary folder left
    assert (
        install_babi(tmp_path / "root0", tmp_path / "root9") == tmp_path / "root9/babi" / BABI_DIR
    )


@pytest.mark.parametrize("suffix, mode", [(".tar.gz", "w:gz"), (".tar", "w")])
def test_install_from_archive(tmp_path: Path, suffix: str, mode: str) -> None:
    tree = make_babi_tree(tmp_path / "src" / BABI_DIR, ("en", "en-10k", "hn"))
    archive = make_tar(tree, tmp_path / f"{BABI_DIR}{suffix}", mode)
    installed = install_babi(archive, tmp_path / "root")
    assert listing(installed) == listing(tree)
    assert verify_babi(installed) == ["en", "en-10k", "hn"]
    assert load_babi(19, "train", lang="hn", root=tmp_path / "root").stories == TINY_STORIES
    assert os.listdir(tmp_path / "root" / "babi") == [BABI_DIR]


@pytest.mark.parametrize(
    "langs, skip",
    [
        (("en",), "en/qa7_counting_test.txt"),
        (("en", "en-10k"), "en-10k/qa20_agents-motivations_train.txt"),
    ],
)
@pytest.mark.parametrize("as_archive", [False, True])
def test_install_incomplete_leaves_nothing(tmp_path: Path, langs, skip: str, as_archive: bool):
    source = make_babi_tree(tmp_path / "src" / BABI_DIR, langs, skip=skip)
    if as_archive:
        source = make_tar(source, tmp_path / "babi.tar.gz")
    root = tmp_path / "root"
    with pytest.raises(DataError, match=skip.replace(".", r"\.")) as info:
        install_babi(source, root)
    assert "1 of" in str(info.value)
    assert not root.exists()  # not even the folders install_babi made


def test_install_failure_keeps_existing_install(tmp_path: Path) -> None:
    root = tmp_path / "root"
    installed = install_babi(make_babi_tree(tmp_path / "good" / BABI_DIR), root)
    before = {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()}
    bad = make_babi_tree(
        tmp_path / "bad" / BABI_DIR, skip="en/qa1_single-supporting-fact_train.txt"
    )
    for source in (bad, make_tar(bad, tmp_path / "bad.tar.gz"), tmp_path / "nothing-here"):
        with pytest.raises(DataError):
            install_babi(source, root)
        assert {p: p.read_bytes() for p in installed.rglob("*") if p.is_file()} == before
        assert os.listdir(root / "babi") == [BABI_DIR]


def test_install_replaces_existing_install(tmp_path: Path) -> None:
    root = tmp_path / "root"
    install_babi(make_babi_tree(tmp_path / "a" / BABI_DIR, ("en", "hn")), root)
    new = make_babi_tree(tmp_path / "b" / BABI_DIR)
    write(new / "README.txt", "new\n")
    installed = install_babi(new, root)
    assert (installed / "README.txt").read_text() == "new\n"
    assert not (installed / "hn").exists()
    assert os.listdir(root / "babi") == [BABI_DIR]


def test_install_failing_rename_keeps_existing_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    installed = install_babi(make_babi_tree(tmp_path / "a" / BABI_DIR), root)
    write(installed / "README.txt", "old\n")
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == installed and Path(src).name == BABI_DIR:  # the new folder moving in
            raise OSError("disk on fire")
        real_replace(src, dst)

    monkeypatch.setattr(datasets.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        install_babi(make_babi_tree(tmp_path / "b" / BABI_DIR), root)
    assert (installed / "README.txt").read_text() == "old\n"
    assert os.listdir(root / "babi") == [BABI_DIR]


def _tar_with(tmp_path: Path, member: tarfile.TarInfo, data: bytes = b"x") -> Path:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return archive


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/attnmem-evil.txt", f"{BABI_DIR}/../../x"])
def test_install_rejects_unsafe_paths(tmp_path: Path, name: str) -> None:
    member = tarfile.TarInfo(name)
    member.size = 1
    with pytest.raises(DataError, match="unsafe path"):
        install_babi(_tar_with(tmp_path, member), tmp_path / "root")
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/attnmem-evil.txt").exists()
    assert not (tmp_path / "root").exists()


def test_install_rejects_links(tmp_path: Path) -> None:
    member = tarfile.TarInfo(f"{BABI_DIR}/en")
    member.type, member.linkname = tarfile.SYMTYPE, "/etc"
    with pytest.raises(DataError, match="not a plain file or folder"):
        install_babi(_tar_with(tmp_path, member), tmp_path / "root")
    assert not (tmp_path / "root").exists()


def test_install_rejects_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="does not exist"):
        install_babi(tmp_path / "missing.tar.gz", tmp_path / "root")
    with pytest.raises(DataError, match="neither a folder nor a tar archive"):
        install_babi(write(tmp_path / "notes.txt", "hello\n" * 200), tmp_path / "root")
    with pytest.raises(DataError, match="no 'en' folder"):
        install_babi(tmp_path, tmp_path / "root")
    tree = make_babi_tree(tmp_path / "src" / BABI_DIR)
    with pytest.raises(DataError, match="must not be inside"):
        install_babi(tmp_path / "src", tree / "data")
    assert not (tree / "data").exists()
    archive = make_tar(tree, tmp_path / "a.tar.gz")
    truncated = write(tmp_path / "cut.tar.gz", archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError):
        install_babi(truncated, tmp_path / "root")
    assert not (tmp_path / "root").exists()


# ---------------------------------------------------------------- vocabulary and tensors


def test_vocab() -> None:
    vocab = Vocab.from_stories(TINY_STORIES)
    assert vocab.itos[:2] == ("<pad>", "<unk>") and (Vocab.PAD, Vocab.UNK) == (0, 1)
    assert list(vocab.words) == sorted(vocab.words)
    assert "n,w" in vocab and "n" not in vocab and "bathroom" in vocab
    assert vocab.id("zebra") == Vocab.UNK
    assert vocab.decode(vocab.encode(["where", "is", "zebra"])) == ["where", "is", "<unk>"]
    assert Vocab(vocab.words) == vocab and len(vocab) == len(vocab.words) + 2
    with pytest.raises(ValueError, match="unique"):
        Vocab(["a", "b", "a"])
    with pytest.raises(ValueError, match="unique"):
        Vocab(["<pad>"])


def test_vectorize_exact() -> None:
    vocab = Vocab.from_stories(TINY_STORIES)
    enc = vocab.encode
    x = vectorize(TINY_STORIES, vocab, memory_size=4)
    B, N, J = 3, 4, 10  # J: the "how do you go ..." question
    assert x.story.shape == (B, N, J) and x.query.shape == (B, J)
    assert x.story.dtype == torch.long and x.memory_mask.dtype == torch.bool

    def row(tokens: list[str]) -> list[int]:
        return enc(tokens) + [0] * (J - len(tokens))

    blank = [0] * J
    expected_story = [
        [blank, blank, row(MARY), row(JOHN)],
        [blank, row(MARY), row(JOHN), row(DANIEL)],
        [blank, blank, row(KITCHEN), row(GARDEN)],
    ]
    torch.testing.assert_close(x.story, torch.tensor(expected_story))
    torch.testing.assert_close(x.query, torch.tensor([row(s.question) for s in TINY_STORIES]))
    torch.testing.assert_close(x.answer, torch.tensor(enc(["bathroom", "hallway", "n,w"])))
    torch.testing.assert_close(x.supporting, torch.tensor([[2, -1], [3, -1], [2, 3]]))
    mask = [[False, False, True, True], [False, True, True, True], [False, False, True, True]]
    torch.testing.assert_close(x.memory_mask, torch.tensor(mask))


def test_vectorize_keeps_last_sentences() -> None:
    vocab = Vocab.from_stories(TINY_STORIES)
    x = vectorize(TINY_STORIES, vocab, memory_size=2, sentence_length=12)
    assert x.story.shape == (3, 2, 12)
    assert vocab.decode(x.story[1, 0]) == JOHN and vocab.decode(x.story[1, 1]) == DANIEL
    torch.testing.assert_close(x.supporting, torch.tensor([[0, -1], [1, -1], [0, 1]]))
    x = vectorize(TINY_STORIES[:1], vocab, memory_size=1)  # Mary's statement drops out
    assert vocab.decode(x.story[0, 0]) == JOHN
    torch.testing.assert_close(x.supporting, torch.tensor([[-1]]))
    assert x.memory_mask.all()


def test_vectorize_unknown_words_and_errors() -> None:
    vocab = Vocab.from_stories(TINY_STORIES[:1])
    x = vectorize(TINY_STORIES[1:2], vocab, memory_size=3)
    assert x.story[0, 2, 0] == Vocab.UNK  # "daniel" never seen in training
    assert x.answer[0] == vocab.id("hallway") and x.query[0, 2] == Vocab.UNK
    with pytest.raises(ValueError, match="memory_size"):
        vectorize(TINY_STORIES, vocab, memory_size=0)
    with pytest.raises(ValueError, match=r"sentence_length \(5\)"):
        vectorize(TINY_STORIES, vocab, sentence_length=5)


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_en() -> dict[tuple[int, str], list[Story]]:
    if not REAL_ROOT:
        pytest.skip("ATTNMEM_DATA not set: real bAbI tests need ../shared/data")
    return {
        (task, split): load_babi(task, split, root=REAL_ROOT).stories
        for task in BABI_TASKS
        for split in ("train", "test")
    }


@needs_real
def test_real_en_counts_and_supporting_facts(real_en) -> None:
    for (task, split), stories in real_en.items():
        assert len(stories) == 1000, (task, split)
        for story in stories:
            assert story.supporting, (task, split)
            assert all(0 <= i < len(story.sentences) for i in story.supporting)
            assert story.question and all(story.sentences)


@needs_real
def test_real_multi_word_answers(real_en) -> None:
    for split in ("train", "test"):
        path_finding = real_en[19, split]
        assert all(len(s.answer) == 2 and set(s.answer) <= set("nsew") for s in path_finding)
        lists = real_en[8, split]
        assert any(len(s.answer) > 1 for s in lists) and any(s.answer == ["nothing"] for s in lists)
        assert all(len(s.answer) == 1 for task in (1, 2, 6) for s in real_en[task, split])


@needs_real
def test_real_supporting_fact_holds_the_answer(real_en) -> None:
    # Task 1: "Mary moved to the bathroom." supports "Where is Mary? bathroom".
    for story in real_en[1, "train"]:
        (fact,) = story.supporting
        assert story.sentences[fact][-1] == story.answer[0]
        assert story.sentences[fact][0] == story.question[-1]


@needs_real
def test_real_vectorize_supporting_slots(real_en) -> None:
    stories = real_en[3, "train"]
    vocab = Vocab.from_stories(stories)
    x = vectorize(stories, vocab, memory_size=50)
    assert x.supporting.shape == (1000, 3)
    b, k = torch.nonzero(x.supporting >= 0, as_tuple=True)
    slots = x.supporting[b, k]
    for i in range(0, len(b), 97):  # a sample: the slot holds the supporting sentence
        story = stories[int(b[i])]
        sentence = story.sentences[story.supporting[int(k[i])]]
        assert vocab.decode(x.story[b[i], slots[i]]) == sentence
    assert vocab.decode(x.answer) == [s.answer_token for s in stories]


@needs_real
def test_real_install_layout_and_10k() -> None:
    folder = Path(REAL_ROOT) / "babi" / BABI_DIR
    assert verify_babi(folder) == ["en", "en-10k"]
    assert len(load_babi(1, "train", lang="en-10k", root=REAL_ROOT)) == 10_000
