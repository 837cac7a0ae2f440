import sys

from anodelab.cli import main

sys.exit(main())
