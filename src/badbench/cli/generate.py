"""`badbench generate`: synthetic bad-behaviour data (``generate sim`` on Meta-World)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from badbench.cli._common import user_errors

app = typer.Typer(help="Generate synthetic bad-behaviour datasets.", no_args_is_help=True)

err = Console(stderr=True)


@app.command("sim")
@user_errors
def sim(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Dataset directory (resumed if it exists and has the same settings).",
        ),
    ] = Path("sim-bad"),
    tasks: Annotated[str, typer.Option(help="Comma-separated Meta-World tasks, or 'all'.")] = "all",
    modes: Annotated[
        str, typer.Option(help="Comma-separated modes ('good', 'drop', ...) or 'all'.")
    ] = "all",
    episodes_per_mode: Annotated[int, typer.Option(min=1, help="Seed families per task.")] = 1,
    workers: Annotated[int, typer.Option(min=0, help="Processes (0: all cores).")] = 0,
    seed: Annotated[int, typer.Option(help="Base seed (same seed, same dataset).")] = 0,
    fps: Annotated[
        float, typer.Option(min=1.0, max=80.0, help="Record rate; control is 80 Hz.")
    ] = 20.0,
    resolution: Annotated[int, typer.Option(min=16, help="Square frame size in pixels.")] = 224,
    camera: Annotated[
        list[str] | None,
        typer.Option(
            "--camera",
            help="Stored camera (repeat, or a comma list): scene, wrist, or a Meta-World camera "
            "(corner, corner2, corner3, corner4, topview, behindGripper, gripperPOV). "
            "Default: scene,wrist.",
        ),
    ] = None,
    temperature: Annotated[
        float, typer.Option(help="Noisy Bradley-Terry rater temperature (<= 0: none).")
    ] = 0.1,
    rubric: Annotated[
        Path | None,
        typer.Option(
            help="Rubric JSON file (weights, gates, fail_credit; see docs/sim.md) that labels "
            "the scores and dense rewards. Default: badbench's rubric.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an existing dataset at --out instead of resuming it.")
    ] = False,
) -> None:
    """Roll out Meta-World experts with injected failures and write a labelled dataset.

    Every option is checked before anything is written. An existing --out is resumed only if it
    was generated with the same settings (seed, fps, resolution, cameras, temperature, engine
    version); otherwise the command names what differs and stops (--overwrite replaces it).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from badbench.data.rubric import Rubric
    from badbench.generate.sim import DEFAULT_TASKS, generate_sim
    from badbench.generate.sim._cameras import DEFAULT_CAMERAS

    task_list = (
        list(DEFAULT_TASKS)
        if tasks == "all"
        else [t.strip() for t in tasks.split(",") if t.strip()]
    )
    mode_arg: str | list[str] = (
        "all" if modes == "all" else [m.strip() for m in modes.split(",") if m.strip()]
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=err)
    handle = bar.add_task("generating", total=None)

    def tick(done: int, total: int, eid: str) -> None:
        if not bar.live.is_started:  # from the first episode on, once every option is checked
            bar.start()
        bar.update(handle, completed=done, total=total, description=eid)

    try:
        summary = generate_sim(
            out,
            tasks=task_list,
            modes=mode_arg,
            episodes_per_mode=episodes_per_mode,
            workers=workers or None,
            seed=seed,
            fps=fps,
            resolution=resolution,
            cameras=",".join(camera) if camera else DEFAULT_CAMERAS,
            preference_temperature=temperature if temperature > 0 else None,
            rubric=Rubric.read(rubric) if rubric is not None else None,
            overwrite=overwrite,
            progress=tick,
        )
    finally:
        if bar.live.is_started:
            bar.stop()
    if mode_arg != "all":
        _note_skipped_modes(task_list, mode_arg)
    typer.echo(
        f"{summary.root}: wrote {len(summary.written)} episodes, skipped {len(summary.skipped)} "
        f"already present, left out {len(summary.unconfirmed)} unconfirmed; "
        f"{summary.preferences} preferences"
    )
    for eid in summary.unconfirmed:
        err.print(f"[yellow]left out (failure not confirmed after retries):[/yellow] {eid}")


def _note_skipped_modes(tasks: list[str], modes: list[str]) -> None:
    """Say which of the given modes did not apply to which task (they were skipped)."""
    from badbench.generate.sim import modes_for, sim_task

    for task in tasks:
        applies = set(modes_for(sim_task(task)))
        skipped = [m for m in modes if m not in applies]
        if skipped:
            err.print(
                f"[yellow]skipped (does not apply to {task}):[/yellow] {', '.join(skipped)}; "
                "see `badbench generate modes`",
                soft_wrap=True,
            )


@app.command("modes")
def modes() -> None:
    """List the sim tasks with the failure modes that apply to each."""
    from badbench.generate.sim import SIM_TASKS, injector_class, injector_names, modes_for

    by_cat: dict[str, list[str]] = {}
    for name in injector_names()[1:]:
        by_cat.setdefault(str(injector_class(name).category), []).append(name)
    for cat, names in by_cat.items():
        typer.echo(f"{cat}: {', '.join(names)}")
    typer.echo("")
    for task in SIM_TASKS.values():
        typer.echo(f"{task.name} ({task.category.value}): {', '.join(modes_for(task))}")
