"""`badbench eval`, `badbench models` and `badbench demo`.

Heavy modules (the runner, metrics, model backends) are imported inside the commands, so
``badbench --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from badbench.cli._common import user_errors

models_app = typer.Typer(help="Reward models available by name.", no_args_is_help=True)


@models_app.command("list")
def models_list(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also show where each model is loaded from.")
    ] = False,
) -> None:
    """Print the registered reward models: name, extra it needs, description."""
    from rich.console import Console
    from rich.table import Table

    from badbench.models import MODELS

    cols = ["name", "extra", "description"] + (["loaded from"] if verbose else [])
    table = Table(*cols, box=None, header_style="bold")
    for entry in MODELS:
        row = [entry.name, entry.extra or "-", entry.description]
        if verbose:
            t = entry.target
            row.append(entry.entry_point or (f"{t.__module__}:{t.__qualname__}" if t else ""))
        table.add_row(*row)
    Console().print(table)


@user_errors
def eval_command(
    data: Annotated[Path, typer.Option("--data", help="Dataset directory.")],
    model: Annotated[
        list[str],
        typer.Option("--model", "-m", help="Model spec NAME or NAME:opt=val,opt=val; repeatable."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Run directory (resumed if it exists).")],
    score: Annotated[
        str, typer.Option("--score", help="Trajectory score: return, last or mean.")
    ] = "return",
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Score cache directory (default RUN_DIR/cache).")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Fixed success threshold on final progress.")
    ] = 0.95,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples for CIs.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Score again only the episodes a model failed on before."
        ),
    ] = False,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="local (decode video ahead in a thread while the model runs) or sequential.",
        ),
    ] = "local",
) -> None:
    """Score every episode of a dataset with reward models; write metrics and a report.

    Episodes a model fails on (an exception, an unreadable answer) are recorded with their
    error and left out of the metrics; `--retry-failed` scores only those again.
    """
    from badbench.bench.metrics import MetricSettings
    from badbench.bench.runner import evaluate

    summary = evaluate(
        data,
        model,
        out,
        score_kind=score,  # type: ignore[arg-type]  (checked by evaluate)
        settings=MetricSettings(threshold=threshold, n_boot=n_boot, seed=seed),
        cache_dir=cache,
        progress=progress,
        report=report,
        retry_failed=retry_failed,
        executor=executor,
    )
    print_leaderboard(summary)
    typer.echo(f"results: {out / 'results.json'}")


@user_errors
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `badbench eval`.")],
    score: Annotated[
        str | None,
        typer.Option("--score", help="return, last or mean (default: the run's)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Fixed success threshold (default: the run's)."),
    ] = None,
    n_boot: Annotated[
        int | None, typer.Option("--n-boot", help="Bootstrap resamples (default: the run's).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Bootstrap seed.")] = None,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Render report.html.")] = True,
) -> None:
    """Measure a saved run again (other score or threshold) and re-render its report, from the
    saved score records alone: no model is built, nothing is scored."""
    import dataclasses

    from badbench.bench.results import load_summary
    from badbench.bench.runner import remeasure, run_settings

    base = run_settings(load_summary(run_dir))
    changes = {"threshold": threshold, "n_boot": n_boot, "seed": seed}
    settings = dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})
    summary = remeasure(
        run_dir,
        score_kind=score,  # type: ignore[arg-type]  (checked by remeasure)
        settings=settings,
        report=html,
    )
    print_leaderboard(summary)
    typer.echo(f"results: {run_dir / 'results.json'}")
    if html:
        typer.echo(f"report: {run_dir / 'report.html'}")


LEADERBOARD = (
    ("pairwise_accuracy", "pair acc"),
    ("fpr_fixed", "FPR@thr"),
    ("fpr_calibrated", "FPR@TPR"),
    ("auroc", "AUROC"),
    ("voc", "VOC"),
    ("over_reward", "over-rew"),
)
"""Headline metrics of the terminal leaderboard (those present in the summary), with titles."""


def _cell(v: object) -> str:
    from badbench.bench.results import MetricValue

    if not isinstance(v, MetricValue) or v.value is None:
        return "-"
    value = f"{v.value:.2f}".replace("-0.00", "0.00")  # no negative zero from rounding
    if v.ci_low is None or v.ci_high is None:
        return value
    half = f"{(v.ci_high - v.ci_low) / 2:.2f}".removeprefix("0")
    return f"{value}±{half}"


def print_leaderboard(summary: object) -> None:
    """Print models x headline metrics (value ± half-width of the 95% CI) as a rich table."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from badbench.bench.results import RunSummary

    assert isinstance(summary, RunSummary)
    present = [
        (k, t) for k, t in LEADERBOARD if any(k in m.metrics.overall for m in summary.models)
    ]
    table = Table(
        title=f"leaderboard ({summary.dataset.n_episodes} episodes, score={summary.score_kind})",
        caption="value ± half-width of the bootstrap 95% CI; full table in results.json",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    width = max((len(m.spec.key) for m in summary.models), default=5)
    table.add_column("model", min_width=min(width, 24), overflow="fold")
    for _, title in present:
        table.add_column(title, justify="right", no_wrap=True)
    failed = any(m.n_failed for m in summary.models)
    if failed:
        table.add_column("failed", justify="right", no_wrap=True)
    for m in summary.models:
        cells = [_cell(m.metrics.overall.get(k)) for k, _ in present]
        if failed:
            cells.append(f"{m.n_failed}/{m.n_episodes}" if m.n_failed else "0")
        table.add_row(m.spec.key, *cells)
    console = Console()
    console.print(table)
    cached = ", ".join(f"{m.spec.key} {m.n_cached}/{m.n_episodes}" for m in summary.models)
    console.print(f"from cache: {cached}", highlight=False)
    for m in summary.models:
        if m.n_failed:
            kinds = ", ".join(f"{n} {k}" for k, n in m.failures.items())
            console.print(
                f"[yellow]{m.spec.key}: {m.n_failed} of {m.n_episodes} episodes failed ({kinds});"
                " left out of its metrics. Errors are in the scores file; "
                "`badbench eval --retry-failed` scores them again.[/]",
                highlight=False,
            )
        elif m.n_episodes and not m.metrics.overall:
            console.print(f"[yellow]{m.spec.key}: no metric could be computed[/]")


def register(app: typer.Typer) -> None:
    """Attach the evaluation commands to the root app."""
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    app.add_typer(models_app, name="models")
    app.command("demo")(demo_command)


@user_errors
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Run directory.")] = Path("runs/demo"),
    cache: Annotated[
        Path | None,
        typer.Option(help="Where the generated suite is kept (default ~/.cache/badbench)."),
    ] = None,
    episodes_per_mode: Annotated[
        int, typer.Option(min=1, help="Seed families per task (suite size).")
    ] = 2,
    workers: Annotated[int, typer.Option(min=0, help="Generator processes (0: all cores).")] = 0,
    score: Annotated[
        str,
        typer.Option(
            "--score",
            help="Trajectory score of the leaderboard: last (end state, how the suite's labels "
            "are made), return or mean.",
        ),
    ] = "last",
) -> None:
    """Generate a small Meta-World bad-behaviour suite (cached), score it with every available
    model, write report.html and print the leaderboard."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from badbench.demo import DemoConfig, demo_models, run_demo, suite_dir

    config = DemoConfig(
        out=out,
        cache=cache,
        episodes_per_mode=episodes_per_mode,
        workers=workers or None,
        score_kind=score,  # type: ignore[arg-type]  (checked by run_demo)
    )
    err = Console(stderr=True)
    err.print(f"suite: {suite_dir(config)}  models: {', '.join(demo_models())}")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    ) as bar:
        handle = bar.add_task("generating suite", total=None)

        def tick(done: int, total: int, eid: str) -> None:
            bar.update(handle, completed=done, total=total, description=eid)

        summary = run_demo(config, on_generate=tick)
    print_leaderboard(summary)
    typer.echo(
        "pairwise accuracy by trajectory score (last = end state, as the labels are made; "
        "return = sum over frames, the paper's default, also rewards speed):"
    )
    for m in summary.models:
        accs = m.pairwise_by_score_kind
        cells = "  ".join(f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in accs.items())
        typer.echo(f"  {m.spec.key:<16} {cells}")
    typer.echo(f"report: {out / 'report.html'}")
