"""JSONL/CSV record reading and label parsing: every error names the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from badbench.data.importers._labels import parse_labels
from badbench.data.importers._records import Row, read_csv, read_jsonl, read_records
from badbench.data.schema import LabelSource
from badbench.errors import DataError, SchemaError, ValidationError


def write_lines(path: Path, *lines: object) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def row(data: dict, line: int = 3) -> Row:
    return Row(Path("m.jsonl"), line, data)


def test_jsonl_rows_keep_line_numbers_and_skip_blank_lines(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", {"a": 1}, "", "   ", {"a": 2})
    rows = read_jsonl(path)
    assert [(r.line, r.data) for r in rows] == [(1, {"a": 1}), (4, {"a": 2})]


def test_malformed_json_line_names_file_and_line(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", {"a": 1}, '{"a": 2,', {"a": 3})
    with pytest.raises(SchemaError) as e:
        read_jsonl(path)
    assert e.value.path == path and e.value.line == 2
    assert str(e.value).startswith(f"{path}:2: malformed JSON")


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", "[1, 2]")
    with pytest.raises(SchemaError, match=r"m.jsonl:1: expected a JSON object, got list"):
        read_jsonl(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_jsonl(tmp_path / "nope.jsonl")


def test_csv_rows_drop_empty_cells_and_count_lines(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('a,b,c\n1,,x\n\n2,"multi\nline",y\n3,4,\n')
    rows = read_csv(path)
    assert [(r.line, r.data) for r in rows] == [
        (2, {"a": "1", "c": "x"}),
        (5, {"a": "2", "b": "multi\nline", "c": "y"}),
        (6, {"a": "3", "b": "4"}),
    ]


def test_csv_row_with_too_many_cells(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("a,b\n1,2\n1,2,3\n")
    with pytest.raises(SchemaError, match=r"p.csv:3: row has more cells than the header"):
        read_csv(path)


def test_empty_csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("")
    with pytest.raises(SchemaError, match="empty CSV"):
        read_csv(path)


def test_format_from_suffix(tmp_path):
    (tmp_path / "x.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match="cannot tell the format"):
        read_records(tmp_path / "x.txt")
    assert read_records(tmp_path / "x.txt", "csv")[0].data == {"a": "1"}


def test_typed_accessors_convert_csv_text():
    r = row({"n": "0.5", "i": "3", "f": "yes", "s": 7})
    assert r.number("n") == 0.5
    assert r.integer("i") == 3
    assert r.flag("f") is True
    assert r.text("s") == "7"
    assert r.number("missing", default=None) is None


@pytest.mark.parametrize(
    ("data", "call", "message"),
    [
        ({"n": "abc"}, lambda r: r.number("n"), "field 'n': expected a number, got 'abc'"),
        ({"n": True}, lambda r: r.number("n"), "field 'n': expected a number, got true"),
        ({"i": 2.5}, lambda r: r.integer("i"), "field 'i': expected an integer, got 2.5"),
        ({"f": "maybe"}, lambda r: r.flag("f"), "field 'f': expected true or false"),
        ({"s": [1]}, lambda r: r.text("s"), "field 's': expected a string, got [1]"),
        ({}, lambda r: r.text("s"), "field 's': is required but missing"),
    ],
)
def test_typed_accessor_errors(data, call, message):
    with pytest.raises(SchemaError) as e:
        call(row(data))
    assert str(e.value) == f"m.jsonl:3: {message}" or message in str(e.value)
    assert e.value.line == 3


def test_unknown_field_is_named():
    with pytest.raises(SchemaError) as e:
        row({"sucess": True}).check_fields(["success"])
    assert e.value.field == "sucess" and "known fields: success" in str(e.value)


# ---------------------------------------------------------------------------- labels


def test_labels_full_record():
    spec = parse_labels(
        row(
            {
                "success": False,
                "progress": 40,
                "failure_tags": [
                    "drop",
                    {"mode": "collision", "start_frame": 1, "end_frame": 2, "severity": 0.5},
                ],
                "dense_reward": [0, 0.2, 0.4, 0.4],
                "dense_source": "distilled",
            }
        ),
        progress_scale=100,
    )
    outcome, tags, dense = spec.build(4)
    assert outcome.success is False and outcome.progress == pytest.approx(0.4)
    assert outcome.progress_source == LabelSource.HUMAN
    assert outcome.dense_source == LabelSource.DISTILLED
    assert [(t.mode, str(t.category), t.start_frame, t.end_frame, t.severity) for t in tags] == [
        ("drop", "failure", 0, 3, 1.0),
        ("collision", "unsafe", 1, 2, 0.5),
    ]
    assert dense.tolist() == pytest.approx([0, 0.2, 0.4, 0.4])


def test_labels_absent_means_unlabelled():
    outcome, tags, dense = parse_labels(row({})).build(5)
    assert (outcome, tags, dense) == (None, [], None)


def test_tags_as_csv_text():
    spec = parse_labels(row({"success": "false", "tags": "drop; jitter"}))
    assert [t.mode for t in spec.tags] == ["drop", "jitter"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"success": True, "progress": 1.5}, "progress", "1.5 is outside [0, 1]"),
        ({"success": True, "progress": 60}, "progress", "--progress-scale 100"),
        ({"success": True, "progress": -0.1}, "progress", "outside [0, 1]"),
        ({"progress": 0.5}, "success", "progress is given without success"),
        ({"success": True, "progress_source": "robot"}, "progress_source", "unknown source"),
        (
            {"success": True, "progress": 0.5, "progress_source": "distilled"},
            "progress_source",
            "use one of: human, oracle",
        ),
        ({"failure_tags": ["teleport"]}, "failure_tags[0]", "unknown failure mode 'teleport'"),
        (
            {"failure_tags": [{"mode": "drop", "category": "unsafe"}]},
            "failure_tags[0]",
            "belongs to category 'failure', not 'unsafe'",
        ),
        (
            {"failure_tags": [{"mode": "drop", "severity": 2}]},
            "failure_tags[0]",
            "severity 2 is outside [0, 1]",
        ),
        (
            {"failure_tags": [{"mode": "drop", "start_frame": -1}]},
            "failure_tags[0]",
            "start_frame -1 is negative",
        ),
        (
            {"failure_tags": [{"mode": "drop", "when": 3}]},
            "failure_tags[0]",
            "unknown tag field 'when'",
        ),
        ({"failure_tags": [{"severity": 1}]}, "failure_tags[0]", "tag has no 'mode'"),
        (
            {"failure_tags": [{"mode": "drop", "end_frame": "x"}]},
            "failure_tags[0].end_frame",
            "expected a number",
        ),
        ({"failure_tags": 3}, "failure_tags", "expected a list"),
        ({"success": True, "dense_reward": [0, "a"]}, "dense_reward", "list of numbers"),
        ({"dense_reward": [0, 1]}, "success", "dense_reward is given without success"),
    ],
)
def test_label_errors_name_the_field(data, field, message):
    with pytest.raises(DataError) as e:
        parse_labels(row(data))
    assert e.value.field == field
    assert e.value.line == 3
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"failure_tags": [{"mode": "drop", "end_frame": 5}]},
            "failure_tags[0]",
            "end_frame 5 is past the episode's last frame 4",
        ),
        (
            {"failure_tags": [{"mode": "drop", "start_frame": 3, "end_frame": 2}]},
            "failure_tags[0]",
            "start_frame 3 is after end_frame 2",
        ),
        (
            {"success": True, "dense_reward": [0.0, 1.0]},
            "dense_reward",
            "has 2 values but the episode has 5 frames",
        ),
    ],
)
def test_label_errors_that_need_the_length(data, field, message):
    spec = parse_labels(row(data))
    with pytest.raises(ValidationError) as e:
        spec.build(5)
    assert e.value.field == field and message in str(e.value)


def test_public_names():
    import badbench.data.importers as importers

    assert importers.__all__ == sorted(importers.__all__)
    assert set(importers.__all__) == {
        "ImportReport",
        "ProgressCallback",
        "VideoEpisodeSpec",
        "import_lerobot",
        "import_preferences",
        "import_videos",
        "load_video_episode",
        "parse_preferences",
        "parse_video_manifest",
    }
    assert all(hasattr(importers, name) for name in importers.__all__)
