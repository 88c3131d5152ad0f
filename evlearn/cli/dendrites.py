"""``evlearn dendrites``: sparse-representation theory and Brian2 dendrite figures (Ahmad & Hawkins 2016)."""
from __future__ import annotations

import json
import sys

from evlearn.cli.execution import add_execution_options, open_executor

EPILOG = """\
examples:
  evlearn dendrites prob --n 10000 --a 300 --s 24 --theta 12
  evlearn dendrites prob --n 2000 --a 64 --s 24 --theta 10 --noise 0.3 --segments 20 --patterns 5 --json
  evlearn dendrites choose --n 10000 --a 300 --noise 0.3
  evlearn dendrites figures --out results/dendrites [--quick]
  evlearn dendrites figures --out results/dendrites --scheduler local --workers 4
"""


def add_parser(subparsers):
    import argparse

    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "dendrites",
        help="active-dendrite SDR theory, Monte Carlo and Brian2 figures",
        description="Exact false-match, noise, many-segment and union probabilities of dendritic segments "
        "(Ahmad & Hawkins 2016, arXiv:1601.00720), threshold choice, and the paper's figures with "
        "Monte Carlo and Brian2 simulation points.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="dendrites_command", metavar="ACTION")

    prob = sub.add_parser("prob", help="probabilities for one segment design",
                          description="Exact probabilities for one dendritic-segment design: false match, and "
                          "with the options noise tolerance, many segments per neuron, unions of patterns.",
                          **with_examples("evlearn dendrites prob --n 10000 --a 300 --s 24 --theta 12",
                                          "evlearn dendrites prob --n 2000 --a 64 --s 24 --theta 10 --noise 0.3 --json",
                                          "evlearn dendrites prob --n 2000 --a 64 --s 24 --theta 10 --simulate 100000"))
    _add_design(prob)
    prob.add_argument("--theta", type=int, required=True, help="NMDA threshold (co-active synapses needed)")
    prob.add_argument("--noise", type=float, default=None, help="fraction of a stored pattern's cells replaced")
    prob.add_argument("--segments", type=int, default=None, help="segments per neuron (any may match)")
    prob.add_argument("--patterns", type=int, default=None, help="patterns stored in one segment (union)")
    prob.add_argument("--simulate", type=int, default=0, metavar="TRIALS",
                      help="also estimate each probability by Monte Carlo with this many trials")
    prob.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo estimates (default: 0)")
    prob.add_argument("--json", action="store_true", help="print one JSON object")
    prob.add_argument("--no-progress", action="store_true", help="no progress bar (long unions show one)")
    prob.set_defaults(func=run_prob)

    choose = sub.add_parser("choose", help="choose theta (and s) balancing false matches against noise",
                            description="Choose the NMDA threshold theta (and, unless --s is given, the "
                            "synapses per segment s) that keep false matches and noise-induced misses small.",
                            **with_examples("evlearn dendrites choose --n 10000 --a 300 --noise 0.3",
                                            "evlearn dendrites choose --n 10000 --a 300 --s 24 --noise 0.3 --json"))
    choose.add_argument("--n", type=int, required=True, help="population size")
    choose.add_argument("--a", type=int, required=True, help="active cells per SDR")
    choose.add_argument("--s", type=int, default=None, help="fix s and choose only theta")
    choose.add_argument("--noise", type=float, required=True, help="noise fraction to tolerate")
    choose.add_argument("--max-false-match", type=float, default=1e-9,
                        help="largest acceptable false-match probability (default: 1e-9)")
    choose.add_argument("--max-false-negative", type=float, default=1e-3,
                        help="largest acceptable probability of missing a noisy pattern (default: 1e-3)")
    choose.add_argument("--json", action="store_true", help="print one JSON object")
    choose.set_defaults(func=run_choose)

    figures = sub.add_parser("figures", help="regenerate the paper's figures (PNG + CSV + summary.json)",
                             description="Regenerate the figures of Ahmad & Hawkins 2016 with theory curves, "
                             "Monte Carlo points and a Brian2 sweep; writes PNG, CSV and summary.json.",
                             **with_examples("evlearn dendrites figures --out results/dendrites",
                                             "evlearn dendrites figures --out /tmp/dendrites --quick --no-brian"))
    figures.add_argument("--out", required=True, help="output folder")
    figures.add_argument("--quick", action="store_true", help="small sizes, for smoke tests (seconds)")
    figures.add_argument("--seed", type=int, default=0, help="base seed of the simulations (default: 0)")
    figures.add_argument("--trials", type=int, default=None, help="Monte Carlo trials per point")
    figures.add_argument("--no-brian", action="store_true", help="skip the Brian2 sweep")
    figures.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_execution_options(figures)
    figures.set_defaults(func=run_figures)

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _add_design(parser):
    parser.add_argument("--n", type=int, required=True, help="population size")
    parser.add_argument("--a", type=int, required=True, help="active cells per SDR")
    parser.add_argument("--s", type=int, required=True, help="synapses per segment")


def prob_report(args) -> dict:
    """All requested probabilities as a dict (pure; used by tests)."""
    from evlearn.dendrites import theory

    n, a, s, theta = args.n, args.a, args.s, args.theta
    out = {"n": n, "a": a, "s": s, "theta": theta,
           "false_match": theory.false_match_probability(n, a, s, theta)}
    if args.noise is not None:
        out["noise"] = args.noise
        out["noise_match"] = theory.noise_match_probability(a, s, theta, args.noise, n=n)
        out["noise_false_negative"] = theory.noise_false_negative_probability(a, s, theta, args.noise, n=n)
    if args.segments is not None:
        out["segments"] = args.segments
        out["neuron_false_match"] = theory.neuron_false_match_probability(n, a, s, theta, args.segments)
    if args.patterns is not None:
        out["patterns"] = args.patterns
        out["union_false_match"] = theory.union_false_match_probability(
            n, a, s, theta, args.patterns, progress=not getattr(args, "no_progress", True))
    if args.simulate:
        from evlearn.dendrites import montecarlo as mc

        kw = dict(trials=args.simulate, seed=args.seed)
        sims = {"false_match": mc.simulate_false_match(n, a, s, theta, **kw)}
        if args.noise is not None:
            sims["noise_match"] = mc.simulate_noise_match(n, a, s, theta, args.noise, **kw)
        if args.segments is not None:
            sims["neuron_false_match"] = mc.simulate_neuron_false_match(n, a, s, theta, args.segments, **kw)
        if args.patterns is not None:
            sims["union_false_match"] = mc.simulate_union_false_match(n, a, s, theta, args.patterns, **kw)
        out["monte_carlo"] = {k: {"rate": r.rate, "ci_low": r.low, "ci_high": r.high, "trials": r.trials,
                                  "seed": args.seed} for k, r in sims.items()}
    return out


UNION_WARN_TERMS = 10**8     # about 10 s of work on one core: say so before starting
UNION_MAX_TERMS = 10**11     # hours of work: refuse


def check_prob_args(args) -> None:
    """Refuse what cannot finish and announce what takes long, before any work."""
    from evlearn.dendrites import theory
    from evlearn.validation import check_number

    theory.false_match_probability(args.n, args.a, args.s, args.theta)   # validates n, a, s, theta
    if args.noise is not None:
        check_number(args.noise, "--noise", low=0.0, high=1.0)
    for name in ("segments", "patterns"):
        if getattr(args, name) is not None:
            check_number(getattr(args, name), f"--{name}", low=1, integer=True)
    check_number(args.simulate, "--simulate", low=0, high=10**9, integer=True)
    if args.patterns is not None:
        work = theory.union_work(args.s, args.patterns)
        if work > UNION_MAX_TERMS:
            raise ValueError(f"--patterns {args.patterns} with --s {args.s}: the exact union needs about {work:.1e} "
                             f"terms (hours); use fewer patterns or `--simulate` alone")
        if work > UNION_WARN_TERMS:
            print(f"evlearn dendrites prob: the exact union of {args.patterns} patterns evaluates about {work:.1e} "
                  "terms; this takes a while", file=sys.stderr)


def run_prob(args) -> int:
    check_prob_args(args)
    report = prob_report(args)
    if args.json:
        print(json.dumps(report))
        return 0
    for key, value in report.items():
        if key == "monte_carlo":
            for name, r in value.items():
                print(f"  simulated {name:20s} {r['rate']:.4g}  (99% CI {r['ci_low']:.3g}..{r['ci_high']:.3g}, "
                      f"{r['trials']} trials)")
        elif isinstance(value, float) and key != "noise":
            print(f"{key:22s} {value:.6g}")
        else:
            print(f"{key:22s} {value}")
    return 0


def run_choose(args) -> int:
    from dataclasses import asdict

    from evlearn.dendrites import theory

    if args.s is not None:
        choice = theory.choose_threshold(args.n, args.a, args.s, args.noise)
    else:
        choice = theory.choose_segment(args.n, args.a, args.noise, args.max_false_match, args.max_false_negative)
    report = {**asdict(choice), "total_error": choice.total_error}
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:15s} {value:.6g}" if isinstance(value, float) else f"{key:15s} {value}")
    return 0


def run_figures(args) -> int:
    from dataclasses import replace

    from evlearn.dendrites.figures import FiguresConfig, make_all_figures

    cfg = FiguresConfig.quick_config(args.seed) if args.quick else FiguresConfig(seed=args.seed)
    if args.trials is not None:
        cfg = replace(cfg, trials=args.trials)
    if args.no_brian:
        cfg = replace(cfg, brian=False)
    try:
        cfg.validate()   # before the output folder is made
    except ValueError as err:
        raise ValueError(f"--{err}") from None
    with open_executor(args, "dendrites figures") as executor:
        record = make_all_figures(args.out, cfg, progress=not args.no_progress, executor=executor)
    mc = record["montecarlo"]
    print(f"wrote {len(record['figures'])} figures to {args.out}: Monte Carlo {mc['inside_ci']}/{mc['points']} "
          f"points within their {mc['level']:.0%} CI of the theory")
    for run in record.get("brian", []):
        c = run["config"]
        print(f"Brian2 n={c['n']} a={c['a']} s={c['s']}: {run['fraction_inside_ci']:.0%} of "
              f"{run['conditions']} conditions within CI")
    return 0
