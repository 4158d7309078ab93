"""``badbench ablate``: train ReWiND arms that differ only in their bad data, and measure them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from badbench.cli._common import user_errors


def _floats(text: str, name: str) -> tuple[float, ...]:
    from badbench.errors import ValidationError

    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValidationError(f"'{text}' is not a comma list of numbers", field=name) from None


def _ints(text: str, name: str) -> tuple[int, ...]:
    from badbench.errors import ValidationError

    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ValidationError(f"'{text}' is not a comma list of integers", field=name) from None


@user_errors
def ablate_command(
    out: Annotated[Path, typer.Option("--out", help="Run directory.")] = Path("runs/ablate"),
    data: Annotated[
        Path | None,
        typer.Option(help="A sim suite (default: generate the ablation suite, cached)."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Cache of the generated suite (default ~/.cache/badbench).")
    ] = None,
    sources: Annotated[
        str, typer.Option(help="Bad-data sources: none, video, sim, both (comma list).")
    ] = "none,video,sim,both",
    fractions: Annotated[
        str, typer.Option(help="Bad shares of the training examples (comma list).")
    ] = "0.05,0.1,0.25,0.5",
    seeds: Annotated[str, typer.Option(help="Training seeds (comma list).")] = "0,1,2",
    steps: Annotated[int, typer.Option(min=1, help="Optimiser steps of every arm.")] = 200,
    families: Annotated[
        int, typer.Option(min=2, help="Seed families with every mode, per task (generated).")
    ] = 4,
    encoder: Annotated[
        str, typer.Option(help="Image encoder (size=: the frame size it sees).")
    ] = "efficientnet-lite0:size=160",
    workers: Annotated[int, typer.Option(min=0, help="Generator processes (0: all cores).")] = 0,
) -> None:
    """Train the same ReWiND model on bad data of each source and share (and on none), over
    several seeds, and measure each on held-out seeds, failure modes and tasks."""
    from badbench.train import AblationConfig, run_ablation

    config = AblationConfig(
        out=out,
        data=data,
        cache=cache,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()),
        fractions=_floats(fractions, "fractions"),
        seeds=_ints(seeds, "seeds"),
        steps=steps,
        families=families,
        encoder=encoder,
        workers=workers or None,
    )
    result = run_ablation(config)
    typer.echo((out / "ablation.md").read_text())
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"tables: {out / 'ablation.md'}  plots: {out / 'ablation.png'}")


def register(app: typer.Typer) -> None:
    """Add ``ablate`` to the CLI."""
    app.command("ablate")(ablate_command)
