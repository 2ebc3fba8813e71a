"""`python -m db COMMAND`: the commands live in db/commands/, one module per family."""

import sys

from db.commands import main

if __name__ == "__main__":
    sys.exit(main())
