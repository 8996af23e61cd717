import sys

from qoswb.cli import main

sys.exit(main())
