"""``qoswb demo``: make (or read) the demo data and print a summary of it.

>>> from qoswb.cli import main
>>> main(["demo"])       # doctest: +SKIP
"""


def add_arguments(parser) -> None:
    parser.add_argument("--refresh", action="store_true", help="generate the demo data again")


def run(args) -> int:
    """Print where the demo store is, its size, and the injected special causes."""
    from qoswb.data.demo import demo_data, demo_path

    data = demo_data(refresh=args.refresh)
    s = data.summary()
    it = data.interactions
    print(f"qoswb demo data in {demo_path()}")
    print(f"  {s['interactions']:,} interactions in {s['teams']} teams, "
          f"opened {s['first_opened']:%Y-%m-%d} to {s['last_opened']:%Y-%m-%d} ({it['opened_at'].dt.tz})")
    print(f"  {s['open_at_end']:,} still open at the end; {s['surveys']:,} survey answers")
    sizes = it["team"].value_counts()
    print(f"  cases per team: {sizes.index[0]} {sizes.iloc[0]:,} ... {sizes.index[-1]} {sizes.iloc[-1]:,}")
    print(f"  channels: {', '.join(sorted(it['channel'].unique()))}")
    print("  injected special causes (ground truth):")
    for row in data.special_causes.itertuples():
        print(f"    {row.kind:<5} {row.kpi:<22} {row.team:<14} {row.start:%Y-%m-%d}  {row.description}")
    return 0
