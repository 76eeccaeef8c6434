import sys

from corespond.cli import main

sys.exit(main())
