"""Real public service data packaged with qoswb, each with its licence note and mapping.

Every data set is a folder here holding the data file as published (compressed
where large), ``README.md`` (source, licence, facts) and ``mapping.yaml``; it is
loaded by the ordinary loaders through that mapping, no special code:

==================================  ============  ==========================================
name                                kind          what
==================================  ============  ==========================================
``nhs_ae_attendances``              aggregates    NHS England A&E 4-hour performance per
                                                  provider and department type, monthly
``nhs_accidents``                   aggregates    20 weeks of England A&E 4-hour performance
                                                  (the qicharts2 p'-chart example)
``nyc_council_constituent_services``  interactions  NYC Council casework 2019-2023, per case
==================================  ============  ==========================================

>>> from qoswb.data import datasets
>>> datasets.names()
['nhs_accidents', 'nhs_ae_attendances', 'nyc_council_constituent_services']
>>> datasets.load("nhs_accidents").summary["accepted"]
20
"""

from pathlib import Path

from qoswb.errors import ParameterError

HERE = Path(__file__).resolve().parent
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def names() -> list[str]:
    """The packaged data sets."""
    return sorted(p.name for p in HERE.iterdir() if (p / "mapping.yaml").exists())


def folder(name: str) -> Path:
    """The folder of one data set; :class:`ParameterError` listing the names when unknown."""
    if name not in names():
        raise ParameterError(f"no packaged data set {name!r}; there are: {', '.join(names())}")
    return HERE / name


def path(name: str) -> Path:
    """The data file of one data set.

    >>> path("nhs_accidents").name
    'nhs_accidents.csv'
    """
    files = [p for p in folder(name).iterdir() if p.name.endswith(DATA_SUFFIXES)]
    return files[0]


def mapping_path(name: str) -> Path:
    """The mapping YAML that loads ``name``."""
    return folder(name) / "mapping.yaml"


def describe(name: str) -> str:
    """The data set's README: source, licence, columns and known facts."""
    return (folder(name) / "README.md").read_text(encoding="utf-8")


def load(name: str, **options):
    """Load a packaged data set with its mapping: a :class:`~qoswb.data.LoadResult`.

    >>> ae = load("nhs_ae_attendances")
    >>> ae.data.columns[:4].tolist()
    ['team', 'period', 'numerator', 'denominator']
    """
    from qoswb.data.loaders import load as load_kind
    from qoswb.data.mapping import read_mapping

    mapping = read_mapping(mapping_path(name))
    return load_kind(path(name), mapping.kind, mapping, **options)
