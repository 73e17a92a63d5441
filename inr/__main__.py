import sys

from inr.cli import main

sys.exit(main())
