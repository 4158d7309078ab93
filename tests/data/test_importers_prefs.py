"""Importing RoboArena-style A/B judgements (CSV and JSONL) as preference records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badbench.data import Dataset
from badbench.data.importers import import_preferences, parse_preferences
from badbench.data.schema import LabelSource
from badbench.errors import DataError, SchemaError, ValidationError

A, B, C = "pick-place-v3/ep0000", "pick-place-v3/ep0001", "pick-place-v3/ep0002"
CSV = f"""episode_a,episode_b,progress_a,progress_b,preference,feedback,rater,context,time
{A},{B},90,20,A,"B dropped the block, A placed it",rater-7,,2025-06-01T14:03:00Z
{B},{C},35,35,tie,,rater-7,table-2,
{C},{A},100,80,b,"A was smoother; C hit the bin",rater-9,,2025-06-02T09:00:00+02:00
"""


@pytest.fixture
def dataset(make_dataset) -> Dataset:
    return make_dataset(3, preferences=False, context_id="ctx-0")


def test_import_csv(dataset, tmp_path):
    path = tmp_path / "arena.csv"
    path.write_text(CSV)
    report = import_preferences(path, dataset.root)
    assert report.preferences == 3 and report.duplicate_preferences == 0
    prefs = Dataset.open(dataset.root).preferences()
    assert [(p.episode_a, p.episode_b, p.label) for p in prefs] == [
        (A, B, "a"),
        (B, C, "tie"),
        (C, A, "b"),
    ]
    p0, p1, p2 = prefs
    assert (p0.progress_a, p0.progress_b) == (pytest.approx(0.9), pytest.approx(0.2))
    assert p0.feedback == "B dropped the block, A placed it"
    assert p0.rater_id == "rater-7" and p0.source == LabelSource.HUMAN
    assert p0.context_id == "ctx-0"  # taken from episode A
    assert p1.context_id == "table-2"  # given
    assert p0.time == datetime(2025, 6, 1, 14, 3, tzinfo=UTC)
    assert p2.time == datetime(2025, 6, 2, 7, 0, tzinfo=UTC)
    assert p1.feedback == ""


def test_import_jsonl_with_aliases_and_unit_scale(dataset, tmp_path):
    path = tmp_path / "arena.jsonl"
    rows = [
        {
            "episode_a_id": A,
            "episode_b_id": C,
            "label": "a_better",
            "progress_a": 0.5,
            "progress_b": 0.25,
            "rater_id": "r1",
            "context_id": "c9",
            "source": "oracle",
        },
        {"episode_a": B, "episode_b": A, "preference": "Tie"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    import_preferences(path, dataset.root, progress_scale=1)
    p0, p1 = Dataset.open(dataset.root).preferences()
    assert (p0.episode_a, p0.episode_b, p0.label, p0.progress_a, p0.progress_b) == (
        A,
        C,
        "a",
        0.5,
        0.25,
    )
    assert (p0.rater_id, p0.context_id, p0.source) == ("r1", "c9", LabelSource.ORACLE)
    assert (p1.label, p1.progress_a, p1.rater_id) == ("tie", None, "unknown")


def test_importing_twice_adds_nothing(dataset, tmp_path):
    path = tmp_path / "arena.csv"
    path.write_text(CSV)
    import_preferences(path, dataset.root)
    again = import_preferences(path, dataset.root)
    assert again.preferences == 0 and again.duplicate_preferences == 3
    assert len(Dataset.open(dataset.root).preferences()) == 3


def _csv_error(tmp_path: Path, dataset: Dataset, body: str) -> DataError:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(DataError) as e:
        import_preferences(path, dataset.root)
    assert Dataset.open(dataset.root).preferences() == []  # nothing written
    assert e.value.path == path
    return e.value


HEAD = "episode_a,episode_b,progress_a,progress_b,preference\n"


@pytest.mark.parametrize(
    ("body", "cls", "line", "field", "message"),
    [
        (
            HEAD + f"{A},{B},90,20,A\n{A},nope,90,20,A\n",
            ValidationError,
            3,
            "episode_b",
            "episode 'nope' is not in the dataset",
        ),
        (HEAD + f"ghost,{B},90,20,A\n", ValidationError, 2, "episode_a", "'ghost' is not in"),
        (HEAD + f"{A},{B},190,20,A\n", ValidationError, 2, "progress_a", "190 is outside [0, 100]"),
        (HEAD + f"{A},{B},90,-5,A\n", ValidationError, 2, "progress_b", "outside [0, 100]"),
        (
            HEAD + f"{A},{B},90,20,C\n",
            ValidationError,
            2,
            "preference",
            "unknown preference 'C'; use A, B or tie",
        ),
        (HEAD + f"{A},{A},90,20,A\n", ValidationError, 2, "episode_b", "the same episode"),
        (HEAD + f"{A},{B},ninety,20,A\n", SchemaError, 2, "progress_a", "expected a number"),
        (HEAD + f"{A},{B},90,20,\n", SchemaError, 2, "preference", "required but missing"),
        ("episode_a,preference\n" + f"{A},A\n", SchemaError, 2, "episode_b", "required"),
        (
            HEAD.strip() + ",stars\n" + f"{A},{B},90,20,A,5\n",
            SchemaError,
            2,
            "stars",
            "unknown field",
        ),
        (
            HEAD.strip() + ",time\n" + f"{A},{B},90,20,A,yesterday\n",
            SchemaError,
            2,
            "time",
            "ISO 8601",
        ),
        (
            HEAD.strip() + ",source\n" + f"{A},{B},90,20,A,distilled\n",
            ValidationError,
            2,
            "source",
            "unknown source",
        ),
    ],
)
def test_bad_rows(dataset, tmp_path, body, cls, line, field, message):
    err = _csv_error(tmp_path, dataset, body)
    assert isinstance(err, cls)
    assert (err.line, err.field) == (line, field)
    assert message in str(err)


def test_malformed_jsonl_line(dataset, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"episode_a": A, "episode_b": B, "preference": "a"}) + "\n{oops\n")
    with pytest.raises(SchemaError) as e:
        import_preferences(path, dataset.root)
    assert e.value.line == 2 and "malformed JSON" in str(e.value)


def test_allow_extra_and_parse_without_a_dataset(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("episode_a,episode_b,preference,session\nx,y,B,s1\n")
    prefs = parse_preferences(path, contexts={"x": "cx", "y": "cy"}, allow_extra=True)
    assert [(p.episode_a, p.label, p.context_id) for p in prefs] == [("x", "b", "cx")]


def test_missing_dataset(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEAD + f"{A},{B},1,2,A\n")
    with pytest.raises(DataError, match="info.json"):
        import_preferences(path, tmp_path / "no-dataset")
