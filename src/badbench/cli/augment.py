"""`badbench augment`: labelled video negatives from the successes of any dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from badbench.cli._common import user_errors

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the ``augment`` command to ``app``."""
    app.command("augment")(augment)


@user_errors
def augment(
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Source dataset (LeRobot v3).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output dataset (resumed if it exists with the same settings)."
        ),
    ] = None,
    kinds: Annotated[
        str, typer.Option(help="Comma-separated kinds: rewind, clip, stall, reverse, ...")
    ] = "rewind,clip,stall,reverse,swap_instruction",
    per_episode: Annotated[int, typer.Option(help="Negatives of each kind per episode.")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed (same seed, same dataset).")] = 0,
    progress: Annotated[
        str,
        typer.Option(
            help="Source progress: 'auto' (its own labels, else linear) or 'linear' (t/(T-1))."
        ),
    ] = "auto",
    reencode: Annotated[
        bool, typer.Option(help="Re-encode clip and swap_instruction too (no referencing).")
    ] = False,
    with_sources: Annotated[
        bool, typer.Option(help="Also copy each source success (frames referenced) into --out.")
    ] = False,
    assume_success: Annotated[
        bool, typer.Option(help="Count episodes without an outcome as successes.")
    ] = False,
) -> None:
    """Derive labelled negatives from every clean successful episode of --data.

    Kinds: rewind (forward, then backwards), clip (cut before completion), stall (a frame
    repeated mid-task), reverse (whole video backwards), swap_instruction (another task's
    instruction). Labels come from the shared rubric; docs/augment.md defines them.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from badbench.errors import ValidationError
    from badbench.generate.augment import augment as run

    if data is None:
        raise ValidationError("is required: the source dataset directory", field="--data")
    if out is None:
        raise ValidationError("is required: the output dataset directory", field="--out")
    kind_list = [k.strip() for k in kinds.split(",") if k.strip()]
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    handle = bar.add_task("augmenting", total=None)

    def tick(done: int, total: int, eid: str) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(handle, completed=done, total=total, description=eid or "augmenting")

    try:
        report = run(
            data,
            out,
            kinds=kind_list,
            per_episode=per_episode,
            seed=seed,
            progress_source=progress,  # type: ignore[arg-type]
            reference=not reencode,
            with_sources=with_sources,
            assume_success=assume_success,
            progress=tick,
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    skipped = ", ".join(f"{n} {why}" for why, n in report.skipped.items()) or "none"
    typer.echo(
        f"{report.dest}: wrote {len(report.written)} episodes ({report.referenced} referenced, "
        f"{report.reencoded} re-encoded) from {len(report.sources)} successes; "
        f"{report.existing} already there; source episodes left out: {skipped}"
    )
    for kind, n in report.no_plan.items():
        err.print(f"[yellow]{kind}: no negative possible for {n} source episode(s)[/yellow]")
