"""Entry point of the ``badbench`` command. Command modules import heavy backends lazily."""

from __future__ import annotations

import typer

from badbench.cli import ablate, augment, data, evaluate, generate, train

app = typer.Typer(
    name="badbench",
    help="Bad behaviour data, failure engines and a fine-grained benchmark for reward models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(generate.app, name="generate")
app.add_typer(train.app, name="train")
evaluate.register(app)  # adds `eval`, `models` and `demo`
ablate.register(app)
augment.register(app)


if __name__ == "__main__":
    app()
