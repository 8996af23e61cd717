import subprocess
import sys

from qoswb.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "qoswb 0.1.0"


def test_unknown_command_is_exit_2_with_usage(capsys):
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err and "validate" in err


def test_import_is_cheap():
    # heavy modules must load when first used, not on `import qoswb`
    code = (
        "import sys, qoswb; "
        "heavy = [m for m in ('statsmodels', 'seaborn', 'papermill', 'ipywidgets', 'sqlalchemy', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
