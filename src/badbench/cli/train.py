"""`badbench train rewind`: train a ReWiND reward model on datasets (torch extra).

Torch and the encoders are imported inside the command, so ``badbench --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from badbench.cli._common import user_errors

app = typer.Typer(help="Train reward models.", no_args_is_help=True)


@app.command("rewind")
@user_errors
def rewind_command(
    data: Annotated[
        list[Path],
        typer.Option("--data", help="Dataset whose clean successes are trained on; repeatable."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Checkpoint directory (resumed if interrupted).")
    ],
    labelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--labelled",
            help="Dataset whose bad episodes are regressed to their own dense labels "
            "(sim failures, augmented negatives); repeatable.",
        ),
    ] = None,
    encoder: Annotated[
        str,
        typer.Option("--encoder", help="Image encoder spec: efficientnet-lite0, dinov2, state."),
    ] = "efficientnet-lite0",
    steps: Annotated[int, typer.Option("--steps", help="Optimiser steps.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of weights, clips and split.")] = 0,
    camera: Annotated[
        str | None, typer.Option("--camera", help="Camera key (default: the dataset's first).")
    ] = None,
    frames_per_episode: Annotated[
        int,
        typer.Option("--frames-per-episode", help="Frames embedded per episode, evenly spaced."),
    ] = 16,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Clips per step.")] = 16,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Share of contexts held out for validation.")
    ] = 0.1,
    device: Annotated[str, typer.Option("--device", help="Torch device.")] = "cpu",
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Embedding cache (default $BADBENCH_CACHE/embeddings)."),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Any TrainConfig field as KEY=VALUE (JSON value), e.g. --set hidden=256 "
            "--set layers=2; repeatable.",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Train ReWiND (progress regression with rewinds and instruction swaps) and save it.

    Score with it afterwards: badbench eval --data DIR -m rewind:checkpoint=OUT
    """
    from rich.console import Console

    from badbench._extras import require

    require("torch", "torch")
    from badbench.models.rewind import (
        TrainConfig,
        encoder_spec,
        image_encoder,
        labelled_examples,
        read_record,
        success_examples,
        train,
    )

    enc = image_encoder(encoder)
    fields = {
        "encoder": encoder_spec(enc),
        "camera": camera,
        "frames_per_episode": frames_per_episode,
        "steps": steps,
        "seed": seed,
        "batch_size": batch_size,
        "val_fraction": val_fraction,
        "device": device,
        **_settings(setting or [], TrainConfig),
    }
    config = TrainConfig(**fields)
    config.check()  # before any embedding
    common = {
        "camera": camera,
        "frames_per_episode": frames_per_episode,
        "cache_dir": cache,
        "progress": progress,
    }
    examples = []
    for d in data:
        examples += success_examples(d, enc, **common)
    for d in labelled or []:
        examples += labelled_examples(d, enc, **common)
    ckpt = train(examples, config, out, progress=progress, cache_dir=cache)
    record = read_record(ckpt)
    counts = ", ".join(f"{k} {v}" for k, v in record["examples"]["train"].items())
    val = record.get("best_val_loss")
    shown = "no validation split" if val is None else f"validation loss {val:.4f}"
    Console().print(
        f"ReWiND checkpoint {ckpt}: step {record['step']} of {record['steps_done']} "
        f"({shown}); trained on {counts}\n"
        f"score with: badbench eval --data DIR -m rewind:checkpoint={ckpt}",
        soft_wrap=True,
    )


def _settings(items: list[str], config_type: type) -> dict[str, Any]:
    """``KEY=VALUE`` items as TrainConfig fields (values read as JSON, else strings)."""
    import dataclasses
    import json

    from badbench.errors import ValidationError

    known = {f.name for f in dataclasses.fields(config_type)}
    fixed = {"encoder", "frames_per_episode"}  # they decide the embeddings: use their options
    out: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or key not in known or key in fixed:
            why = (
                "use --encoder / --frames-per-episode"
                if key in fixed
                else (f"fields: {', '.join(sorted(known - fixed))}")
            )
            raise ValidationError(
                f"--set {item}: not KEY=VALUE of a training field; {why}", field="set"
            )
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out
