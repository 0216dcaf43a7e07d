import sys

from dear.cli import main

sys.exit(main())
