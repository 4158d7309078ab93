"""`badbench data`: import, inspect, document and check datasets.

Every command catches badbench's own errors and prints them as one red line (exit code 2);
tracebacks are kept for bugs. Data-layer modules are imported inside the commands, so
``badbench --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from badbench.cli._common import EXIT_PROBLEMS, user_errors

app = typer.Typer(
    help="Import, inspect, document and validate datasets.",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import episodes or A/B judgements into a badbench dataset.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

out = Console()
err = Console(stderr=True)

@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int, str], None]]:
    """A rich progress bar on stderr, driven by an importer's ``progress(done, total, id)``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[episode]}", style="dim"),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(description, total=None, episode="")

        def update(done: int, total: int, episode_id: str) -> None:
            bar.update(task, completed=done, total=total, episode=episode_id)

        yield update


# ------------------------------------------------------------------------------------------
# options shared by the importers

ProgressScale = Annotated[
    float,
    typer.Option(
        "--progress-scale",
        help="What complete progress is written as: 1 (progress in [0, 1]) or 100 (0-100).",
    ),
]
AllowExtra = Annotated[
    bool,
    typer.Option("--allow-extra", help="Ignore unknown fields instead of failing on them."),
]


def _check_scale(scale: float) -> None:
    if scale not in (1.0, 100.0):
        raise typer.BadParameter("must be 1 or 100", param_hint="--progress-scale")


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not WIDTHxHEIGHT", param_hint="--resize") from None
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise typer.BadParameter("width and height must be even, >= 2", param_hint="--resize")
    return width, height


def _report_import(report: Any, what: str = "episodes") -> None:
    skipped = (
        f", skipped {len(report.skipped)} already present and unchanged" if report.skipped else ""
    )
    out.print(
        f"[green]imported {len(report.imported)} {what}[/]{skipped} into {escape(str(report.dest))}"
    )


@import_app.command("videos")
@user_errors
def import_videos_cmd(
    manifest: Annotated[
        Path, typer.Argument(help="JSONL file, one episode per line (see docs/importing.md).")
    ],
    dest: Annotated[Path, typer.Argument(help="Dataset directory (created, or resumed).")],
    videos_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder that relative video paths start from.",
            show_default="the manifest's folder",
        ),
    ] = None,
    camera: Annotated[
        str, typer.Option(help="Camera name of lines that give a single 'video'.")
    ] = "front",
    progress_scale: ProgressScale = 1.0,
    allow_extra: AllowExtra = False,
    codec: Annotated[str, typer.Option(help="Video codec of the dataset.")] = "libx264",
    resize: Annotated[
        str | None,
        typer.Option(help="Scale every video to WIDTHxHEIGHT, e.g. 240x240.", metavar="WxH"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the manifest; write nothing.")
    ] = False,
) -> None:
    """Import a folder of videos plus a JSONL manifest of per-episode metadata.

    Every clip is checked before anything is written, and the import is one commit: if any
    clip fails, none is written. Re-running an import skips the episode ids already in DEST
    whose video and labels are unchanged, and refuses a line that reuses an id with another
    video or other labels (naming what differs).
    """
    from badbench.data.importers import import_videos, parse_video_manifest

    _check_scale(progress_scale)
    if dry_run:
        specs = parse_video_manifest(
            manifest,
            videos_dir=videos_dir,
            camera=camera,
            progress_scale=progress_scale,
            allow_extra=allow_extra,
        )
        out.print(f"[green]ok:[/] {len(specs)} episodes in {escape(str(manifest))}")
        return
    with progress_bar("importing") as progress:
        report = import_videos(
            manifest,
            dest,
            videos_dir=videos_dir,
            camera=camera,
            progress_scale=progress_scale,
            allow_extra=allow_extra,
            codec=codec,
            resize=_size(resize),
            progress=progress,
        )
    _report_import(report)


@import_app.command("lerobot")
@user_errors
def import_lerobot_cmd(
    source: Annotated[Path, typer.Argument(help="A LeRobot v3 dataset directory.")],
    dest: Annotated[Path, typer.Argument(help="New badbench dataset directory.")],
    annotations: Annotated[
        Path | None,
        typer.Option(
            help="JSONL of labels keyed by episode_index or episode_id (see docs/importing.md)."
        ),
    ] = None,
    progress_scale: ProgressScale = 1.0,
    allow_extra: AllowExtra = False,
) -> None:
    """Import a LeRobot v3 dataset (files are copied, video is not re-encoded)."""
    from badbench.data.importers import import_lerobot

    _check_scale(progress_scale)
    with progress_bar("importing") as progress:
        report = import_lerobot(
            source,
            dest,
            annotations=annotations,
            progress_scale=progress_scale,
            allow_extra=allow_extra,
            progress=progress,
        )
    _report_import(report)


@import_app.command("prefs")
@user_errors
def import_prefs_cmd(
    file: Annotated[Path, typer.Argument(help="CSV (with a header) or JSONL of A/B judgements.")],
    dest: Annotated[Path, typer.Argument(help="Dataset holding the episodes they name.")],
    format: Annotated[
        str | None,
        typer.Option(help="csv or jsonl.", show_default="from the file's suffix"),
    ] = None,
    progress_scale: Annotated[
        float,
        typer.Option(
            "--progress-scale",
            help="What complete progress is written as: 100 (RoboArena's 0-100) or 1.",
        ),
    ] = 100.0,
    allow_extra: AllowExtra = False,
) -> None:
    """Import A/B judgements in RoboArena's shape as preference records."""
    from badbench.data.importers import import_preferences

    _check_scale(progress_scale)
    report = import_preferences(
        file, dest, format=format, progress_scale=progress_scale, allow_extra=allow_extra
    )
    dup = (
        f", skipped {report.duplicate_preferences} already present"
        if report.duplicate_preferences
        else ""
    )
    out.print(f"[green]imported {report.preferences} preferences[/]{dup} into {escape(str(dest))}")


# ------------------------------------------------------------------------------------------
# inspect, document, check


@app.command("info")
@user_errors
def info_cmd(
    root: Annotated[Path, typer.Argument(help="Dataset directory.")],
) -> None:
    """Print a summary of a dataset: counts, labels, tasks and failures."""
    from badbench.cli._data_view import print_summary
    from badbench.data.card import summarize
    from badbench.data.dataset import Dataset

    print_summary(out, summarize(Dataset.open(root)))


@app.command("sheet")
@user_errors
def sheet_cmd(
    root: Annotated[Path, typer.Argument(help="Dataset directory.")],
    episode: Annotated[
        list[str] | None, typer.Option("--episode", help="Episode id to show (repeatable).")
    ] = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="Show episodes of this failure mode (or good).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many episodes (by mode).")] = 4,
    frames: Annotated[int, typer.Option(help="Frames per camera strip.")] = 8,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")] = Path(
        "sheet.png"
    ),
) -> None:
    """Write a PNG contact sheet: frames per camera, tagged spans, the dense label curve."""
    from badbench.data.sheet import contact_sheet

    path = contact_sheet(
        root, out_file, episodes=episode or (), mode=mode, limit=limit, frames=frames
    )
    err.print(f"[green]wrote[/] {escape(str(path))}")


@app.command("card")
@user_errors
def card_cmd(
    root: Annotated[Path, typer.Argument(help="Dataset directory.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the card here instead of stdout.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Write the summary's numbers as JSON instead.")
    ] = False,
) -> None:
    """Write the dataset card (Markdown) of a dataset."""
    from badbench.data.card import dataset_card, summarize
    from badbench.data.dataset import Dataset

    if as_json:
        text = summarize(Dataset.open(root)).model_dump_json(indent=2) + "\n"
    else:
        text = dataset_card(root)
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8")
    err.print(f"[green]wrote[/] {escape(str(out_file))}")


@app.command("validate")
@user_errors
def validate_cmd(
    root: Annotated[Path, typer.Argument(help="Dataset directory.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings (leftovers of interrupted appends).")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="Read only the videos' packets; do not decode every frame."
        ),
    ] = False,
) -> None:
    """List every problem in a dataset; exit code 1 if there is any error.

    Every frame of every video is decoded (each file once) and an episode whose frames do not
    decode is reported with its file and frame range; --quick skips that pass. Warnings (files
    left by an interrupted append, which readers ignore and `badbench data repair` removes) are
    listed too, but fail only with --strict.
    """
    from badbench.data.validate import validate

    with progress_bar("reading videos" if quick else "decoding videos") as progress:
        problems = validate(root, include_warnings=True, decode=not quick, progress=progress)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for p in errors:
        out.print(f"[red]error:[/] {escape(str(p))}", soft_wrap=True)
    for p in warnings:
        out.print(f"[yellow]{escape(str(p))}[/]", soft_wrap=True)
    if errors or (strict and warnings):
        counts = f"{len(errors)} error(s), {len(warnings)} warning(s)"
        out.print(f"[bold red]{counts}[/] in {escape(str(root))}")
        raise typer.Exit(EXIT_PROBLEMS)
    note = f" ({len(warnings)} warning(s))" if warnings else ""
    how = " (--quick: frames not decoded)" if quick else ""
    out.print(f"[green]ok:[/] {escape(str(root))} has no errors{note}{how}")


@app.command("repair")
@user_errors
def repair_cmd(
    root: Annotated[Path, typer.Argument(help="Dataset directory.")],
) -> None:
    """Remove what an interrupted append left behind and update info.json/stats.json.

    These are the warnings `badbench data validate` lists; committed episodes are not touched.
    """
    from badbench.data.validate import repair

    fixed = repair(root)
    for p in fixed:
        out.print(f"repaired: {escape(str(p))}", soft_wrap=True)
    what = f"repaired {len(fixed)} leftover(s)" if fixed else "nothing to repair"
    out.print(f"[green]{what}[/] in {escape(str(root))}")


@app.command("example")
@user_errors
def example_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Dataset directory to write.")],
    contexts: Annotated[int, typer.Option(min=1, help="Start positions per task.")] = 2,
    frames: Annotated[int, typer.Option(min=8, help="Frames per episode.")] = 30,
    size: Annotated[int, typer.Option(min=32, help="Frame width and height in pixels.")] = 96,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Build a small synthetic example dataset and print its card.

    Frames are drawn procedurally (a block pushed or carried to a goal); each context has one
    clean success and several tagged failures, with oracle labels and oracle A/B preferences.
    """
    from badbench.data.card import dataset_card
    from badbench.data.example import build_example_dataset

    with progress_bar("writing") as progress:
        build_example_dataset(
            out_dir,
            contexts_per_task=contexts,
            frames=frames,
            size=size,
            seed=seed,
            progress=progress,
        )
    typer.echo(dataset_card(out_dir), nl=False)
    err.print(f"[green]wrote the example dataset to[/] {escape(str(out_dir))}")
